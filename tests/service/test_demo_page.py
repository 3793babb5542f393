"""The demo page at ``/``: served open, with exact content types, a strict CSP and nothing external."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient
from service_testkit import API_KEY

from service.routers.demo import ASSETS, STATIC_DIR

EXPECTED_TYPES = {
    "app.css": "text/css; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
}
URL_SCHEME = re.compile(r"(?i)\b(?:https?|wss?|ftp):|//[a-z0-9.-]+\.[a-z]{2,}")


class PageParser(HTMLParser):
    """Collects what the CSP test cares about: scripts, styles, event-handler attributes, links."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script_text: list[str] = []
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.handler_attributes: list[str] = []
        self.references: list[str] = []
        self.ids: set[str] = set()
        self.labels_for: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values)
            self._in_script = True
        if tag == "style":
            self.style_elements += 1
        if values.get("id"):
            self.ids.add(values["id"])
        if tag == "label" and values.get("for"):
            self.labels_for.add(values["for"] or "")
        for name, value in attrs:
            if name.startswith("on"):
                self.handler_attributes.append(f"<{tag} {name}>")
            if name == "style":
                self.style_attributes.append(f"<{tag} style>")
            if name in {"src", "href", "action", "formaction", "srcset"} and value is not None:
                self.references.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script_text.append(data.strip())


def parse_page(html: str) -> PageParser:
    parser = PageParser()
    parser.feed(html)
    return parser


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_page_is_served_as_html_with_a_strict_csp(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = csp_directives(response.headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    for sources in csp.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"} & set(sources)
    assert "<h1>checkocr</h1>" in response.text


def test_page_has_no_inline_script_or_style_that_the_csp_would_block(client: TestClient) -> None:
    page = parse_page(client.get("/").text)
    assert [script.get("src") for script in page.scripts] == ["/static/app.js"]
    assert page.inline_script_text == []
    assert page.handler_attributes == []
    assert page.style_attributes == []
    assert page.style_elements == 0


def test_every_control_the_page_needs_exists_and_inputs_are_labelled(client: TestClient) -> None:
    page = parse_page(client.get("/").text)
    needed = {"api-key", "pad", "pen-width", "pad-clear", "pad-read", "file-input", "drop-zone", "amount"}
    needed |= {"confidence", "review", "preview-img", "overlay", "chars-body", "problem", "problem-detail"}
    assert needed <= page.ids
    assert {"api-key", "pen-width"} <= page.labels_for


def test_every_referenced_asset_is_served_with_its_content_type_and_the_csp(client: TestClient) -> None:
    page = parse_page(client.get("/").text)
    local = [ref for ref in page.references if ref.startswith("/static/")]
    assert sorted(local) == ["/static/app.css", "/static/app.js"]
    for ref in local:
        response = client.get(ref)
        assert response.status_code == 200, ref
        assert response.headers["content-type"] == EXPECTED_TYPES[ref.rsplit("/", 1)[1]]
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert response.content == (STATIC_DIR / ref.rsplit("/", 1)[1]).read_bytes()


def test_no_external_urls_in_the_shipped_files(client: TestClient) -> None:
    page = parse_page(client.get("/").text)
    # Same-origin paths, fragments and the empty favicon only; no CDN, no font or analytics host.
    for ref in page.references:
        assert ref.startswith(("/", "#", "data:")) and not ref.startswith("//"), ref
    for name in ("index.html", "app.css", "app.js"):
        text = (STATIC_DIR / name).read_text(encoding="utf-8")
        assert not URL_SCHEME.search(text), f"{name} names an external URL: {URL_SCHEME.search(text)}"
        assert "@import" not in text


def test_the_api_key_is_kept_per_tab_and_sent_as_a_header_not_in_the_url() -> None:
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert "sessionStorage" in script
    assert "localStorage" not in script
    assert "document.cookie" not in script
    assert '"X-API-Key"' in script
    assert re.search(r"\?region=\$\{encodeURIComponent\(region\)\}`", script)
    assert "api_key=" not in script.lower()


def test_page_and_assets_stay_open_with_api_keys(make_client: Callable[..., TestClient]) -> None:
    client = make_client(api_keys=API_KEY)
    assert client.get("/").status_code == 200
    assert client.get("/static/app.js").status_code == 200
    # ...while the API the page calls still wants the key.
    refused = client.post("/v1/checks/read", content=b"\x89PNG", headers={"Content-Type": "image/png"})
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/static/missing.js", "/static/..%2Fapp.py", "/static/app.py"])
def test_anything_but_the_shipped_assets_is_a_404_problem(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_unchanged_assets_revalidate_with_their_etag(client: TestClient) -> None:
    first = client.get("/static/app.css")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    again = client.get("/static/app.css", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    changed = client.get("/static/app.css", headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200


def test_exactly_the_shipped_static_files_are_servable() -> None:
    assert set(ASSETS) == {"index.html", "app.css", "app.js"}
    assert {path.name for path in STATIC_DIR.iterdir()} == set(ASSETS)
