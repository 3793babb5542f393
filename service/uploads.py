"""Getting image bytes out of a request: a multipart file part, or the raw body with an image type.

FastAPI's ``UploadFile`` parameter cannot also accept a raw ``image/png`` body, and it would turn
parser failures into a vague 400, so the body is dispatched on its content type here instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.requests import Request

from service.problems import Problem

IMAGE_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/tiff", "image/tif"}
# Multipart parts often carry a generic type (curl -F guesses from the file name); the decoder sniffs
# the real format from the bytes, so these are let through to it.
GENERIC_PART_TYPES = {"application/octet-stream", ""}
MULTIPART = "multipart/form-data"
MAX_FORM_FIELDS = 16


@dataclass
class ImageUpload:
    data: bytes
    fields: dict[str, str] = field(default_factory=dict)


def media_type_of(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def unsupported(media_type: str, what: str) -> Problem:
    shown = media_type or "no Content-Type"
    return Problem(
        415,
        f"{what} cannot be {shown}; send multipart/form-data with a file field 'image', "
        "or the raw image with Content-Type image/png, image/jpeg or image/tiff",
    )


async def receive_image(request: Request, max_bytes: int, field_name: str = "image") -> ImageUpload:
    media_type = media_type_of(request.headers.get("content-type"))
    if media_type in IMAGE_TYPES:
        return ImageUpload(await request.body())
    if media_type != MULTIPART:
        raise unsupported(media_type, "the request body")
    async with request.form(max_files=1, max_fields=MAX_FORM_FIELDS, max_part_size=max_bytes) as form:
        part = form.get(field_name)
        if not isinstance(part, UploadFile):
            raise Problem(400, f"the multipart body has no file field '{field_name}'", slug="invalid-request")
        part_type = media_type_of(part.content_type)
        if part_type not in IMAGE_TYPES and part_type not in GENERIC_PART_TYPES:
            raise unsupported(part_type, f"the '{field_name}' part")
        data = await part.read()
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return ImageUpload(data, fields)


async def receive_images(request: Request, max_files: int, max_bytes: int, field_name: str) -> list[bytes]:
    """Every file part named ``field_name`` of a multipart body, at most ``max_files`` of them."""
    async with request.form(max_files=max_files, max_fields=MAX_FORM_FIELDS, max_part_size=max_bytes) as form:
        parts = form.getlist(field_name)
        if not parts or not all(isinstance(p, UploadFile) for p in parts):
            raise Problem(
                400, f"the multipart body has no file fields '{field_name}'", slug="invalid-request"
            )
        images = []
        for part in parts:
            assert isinstance(part, UploadFile)
            part_type = media_type_of(part.content_type)
            if part_type not in IMAGE_TYPES and part_type not in GENERIC_PART_TYPES:
                raise unsupported(part_type, f"the '{field_name}' part {part.filename!r}")
            images.append(await part.read())
    return images
