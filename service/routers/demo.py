"""The demo page: ``GET /`` and its assets under ``/static/``, open without an API key.

The page is a plain HTML/CSS/JS bundle shipped inside the package (``service/static``), so it works
offline and needs no build step. It is served from an allow-list read once at start-up rather than
from the file system per request: a name that is not one of the shipped files cannot reach the disk,
and every answer carries an explicit content type plus a strict Content-Security-Policy (scripts,
styles and requests only from this origin, no inline script, no framing). The page itself holds no
secrets; the API calls it makes go through the normal key check of ``/v1/checks/read``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

from service.problems import Problem

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
# img-src allows blob: for the preview of the image just submitted (an object URL of the local file)
# and data: only for the empty favicon; nothing may be fetched from, framed by or posted to elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Revalidate every time (cheap with the ETag) so a redeployed page never mixes old and new assets.
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


def load_assets(folder: Path) -> dict[str, Asset]:
    """Every servable file of ``folder`` by name; other suffixes are not served at all."""
    assets: dict[str, Asset] = {}
    if not folder.is_dir():
        return assets
    for path in sorted(folder.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None or not path.is_file():
            continue
        body = path.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        assets[path.name] = Asset(body, content_type, etag)
    return assets


ASSETS = load_assets(STATIC_DIR)
router = APIRouter(include_in_schema=False)


def asset_response(request: Request, name: str) -> Response:
    asset = ASSETS.get(name)
    if asset is None:
        raise Problem(404, f"no demo asset named {name!r}")
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.content_type, headers=headers)


@router.get("/")
async def demo_page(request: Request) -> Response:
    """The demo page: draw or upload a check and see the amount, confidences and glyph boxes."""
    return asset_response(request, "index.html")


@router.get("/static/{name}")
async def demo_asset(request: Request, name: str) -> Response:
    return asset_response(request, name)
