"""Getting image bytes out of a request: a multipart file part, or the raw body with an image type.

FastAPI's ``UploadFile`` parameter cannot also accept a raw ``image/png`` body, and it would turn
parser failures into a vague 400, so the body is dispatched on its content type here instead.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

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


FILE_TYPES = {"application/octet-stream"}
SPOOL_IN_MEMORY = 1024 * 1024  # a raw body larger than this is spooled to a temporary file


@asynccontextmanager
async def receive_file(request: Request, max_bytes: int, field_name: str = "file") -> AsyncIterator[BinaryIO]:
    """A binary upload as a seekable file, read from the request as it streams in (never one big bytes).

    Raw bodies must be ``application/octet-stream``; multipart bodies carry the file in ``field_name``
    (any part type: the content is checked by whoever reads it). The file is closed on exit.
    """
    media_type = media_type_of(request.headers.get("content-type"))
    if media_type in FILE_TYPES:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            async for chunk in request.stream():
                spool.write(chunk)
            if not spool.tell():
                raise Problem(400, "the request body is empty", slug="invalid-request")
            spool.seek(0)
            yield spool  # type: ignore[misc]
        return
    if media_type != MULTIPART:
        shown = media_type or "no Content-Type"
        raise Problem(
            415,
            f"the request body cannot be {shown}; send multipart/form-data with a file field "
            f"'{field_name}', or the raw file with Content-Type application/octet-stream",
        )
    async with request.form(max_files=1, max_fields=MAX_FORM_FIELDS, max_part_size=max_bytes) as form:
        part = form.get(field_name)
        if not isinstance(part, UploadFile):
            raise Problem(400, f"the multipart body has no file field '{field_name}'", slug="invalid-request")
        part.file.seek(0)
        yield part.file
