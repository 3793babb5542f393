"""The demo page in a real browser against a real ``checkocr serve`` process and the shipped model.

Playwright drives Debian's Chromium (apt package ``chromium``), headless; Playwright's own browser
download is never used. The tests draw a number with the mouse, upload (and drop) a synthetic check,
and walk the API-key flow, asserting what a person would see: the amount, the problem detail, the
table. Screenshots land in each test's tmp_path for a human to look at.
"""

from __future__ import annotations

import base64
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API_KEY = "demo-browser-key-5b1f"
READ_TIMEOUT_MS = 15_000
SYNTH_SEEDS = (14, 17, 5)  # synthetic checks (dot/comma formats) the shipped model reads right


def why_no_browser() -> str | None:
    if sync_playwright is None:
        return "playwright is not installed (pip install '.[dev]')"
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


pytestmark = pytest.mark.skipif(why_no_browser() is not None, reason=why_no_browser() or "")


# ---------- handwriting: digits as pen strokes in a unit box (x right, y down) ----------


def ellipse(cx: float, cy: float, rx: float, ry: float, points: int = 20) -> list[tuple[float, float]]:
    """A closed loop starting at the top, drawn clockwise, like a hand-written 0."""
    return [
        (cx + rx * math.sin(2 * math.pi * i / points), cy - ry * math.cos(2 * math.pi * i / points))
        for i in range(points + 1)
    ]


DIGIT_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "0": [ellipse(0.5, 0.5, 0.4, 0.5)],
    "2": [
        [
            (0.1, 0.2), (0.3, 0.03), (0.6, 0.0), (0.85, 0.15), (0.85, 0.35), (0.6, 0.6),
            (0.1, 1.0), (0.95, 1.0),
        ],
    ],
    "3": [
        [
            (0.12, 0.14), (0.35, 0.02), (0.65, 0.02), (0.85, 0.16), (0.8, 0.36), (0.45, 0.48),
            (0.82, 0.58), (0.92, 0.78), (0.75, 0.95), (0.45, 1.0), (0.1, 0.9),
        ],
    ],
    "4": [[(0.6, 0.0), (0.08, 0.66), (0.95, 0.66)], [(0.72, 0.25), (0.72, 1.0)]],
    "5": [
        [
            (0.85, 0.02), (0.22, 0.02), (0.17, 0.45), (0.5, 0.38), (0.8, 0.5), (0.9, 0.72),
            (0.75, 0.93), (0.45, 1.0), (0.12, 0.9),
        ],
    ],
    "7": [[(0.05, 0.04), (0.95, 0.04), (0.4, 1.0)]],
}  # fmt: skip


def pad_strokes(page: Page, digits: str) -> list[list[tuple[float, float]]]:
    """The strokes of ``digits`` in page coordinates: large, upright, one cell per digit on the pad."""
    box = page.locator("#pad").bounding_box()
    assert box is not None
    cell = box["width"] / (len(digits) + 2)
    height = box["height"] * 0.6
    width = min(cell * 0.7, height * 0.6)
    top = box["y"] + box["height"] * 0.2
    strokes = []
    for i, digit in enumerate(digits):
        left = box["x"] + cell * (i + 1) + (cell - width) / 2
        for stroke in DIGIT_STROKES[digit]:
            strokes.append([(left + u * width, top + v * height) for u, v in stroke])
    return strokes


def draw_number(page: Page, digits: str) -> None:
    """Writes ``digits`` with real mouse events (press, move in small steps, release)."""
    for points in pad_strokes(page, digits):
        page.mouse.move(*points[0])
        page.mouse.down()
        for point in points[1:]:
            page.mouse.move(*point, steps=2)
        page.mouse.up()


def touch_number(page: Page, digits: str) -> None:
    """Writes ``digits`` with a finger: Chromium touch events through the DevTools protocol."""
    cdp = page.context.new_cdp_session(page)
    for points in pad_strokes(page, digits):
        for kind, (x, y) in [("touchStart", points[0])] + [("touchMove", p) for p in points[1:]]:
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


# ---------- a real service process ----------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceProcess:
    """``python -m checkocr serve`` on a free loopback port, stopped with SIGTERM afterwards."""

    def __init__(self, model: Path, log: Path, api_keys: str = "") -> None:
        port = free_port()
        env = {
            **os.environ,
            "CHECKOCR_MODEL_PATH": str(model),
            "CHECKOCR_API_KEYS": api_keys,
            "CHECKOCR_HOST": "127.0.0.1",
            "CHECKOCR_PORT": str(port),
            "CHECKOCR_LOG_FORMAT": "text",
        }
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "checkocr", "serve"], env=env, stdout=sink, stderr=subprocess.STDOUT
            )

    def wait_until_ready(self, timeout_s: float = 45.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log.read_text()[-3000:]
                pytest.fail(f"checkocr serve exited with {self.process.returncode}:\n{log}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        pytest.fail(f"checkocr serve not ready within {timeout_s} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass(frozen=True)
class Services:
    open_url: str  # no API keys configured
    keyed_url: str  # CHECKOCR_API_KEYS=API_KEY


@pytest.fixture(scope="module")
def services(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Both services start side by side (start-up is mostly imports, so this halves the wait)."""
    folder = tmp_path_factory.mktemp("serve")
    started = [ServiceProcess(model_path, folder / "open.log")]
    try:
        started.append(ServiceProcess(model_path, folder / "keyed.log", api_keys=API_KEY))
        for service in started:
            service.wait_until_ready()
        yield Services(started[0].url, started[1].url)
    finally:
        for service in started:
            service.stop()


# ---------- the browser ----------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert sync_playwright is not None
    # The suite shares two cores with other work; waiting longer than the default 5 s only costs time
    # when something is actually wrong.
    expect.set_options(timeout=READ_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class DemoPage:
    """A page plus what it complained about, so each test can assert the console stayed clean."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def assert_no_script_or_csp_errors(self) -> None:
        assert self.page_errors == []
        blocked = [m for m in self.console_errors if "Content Security Policy" in m or "Refused" in m]
        assert blocked == []


@pytest.fixture
def demo(browser: Browser) -> Iterator[DemoPage]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(READ_TIMEOUT_MS)
    watched = DemoPage(page)
    page.on("console", lambda m: watched.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: watched.page_errors.append(str(exc)))
    yield watched
    context.close()


def table_chars(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("#chars-body td.char").all_text_contents()]


# ---------- synthetic check ----------


@dataclass(frozen=True)
class SyntheticCheck:
    image: Path
    truth: dict[str, Any]
    api_reading: dict[str, Any]


def read_via_api(url: str, image: Path) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/v1/checks/read?region=auto",
        files={"image": (image.name, image.read_bytes(), "image/png")},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture(scope="module")
def readable_check(
    services: Services, mnist_data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> SyntheticCheck:
    """The first of a few fixed synthetic checks that the service reads right through the API.

    This test is about the page showing what the service read, not about reading accuracy (the
    reader's own tests and benchmarks measure that), so it needs one check with a known right answer.
    """
    from checkocr.synth import MnistTestPool, SynthOptions, write_dataset

    pool = MnistTestPool.from_data_dir(mnist_data_dir)
    options = SynthOptions(formats=("dot", "comma_dot"), layout="personal", dpi=200)
    misread = []
    for seed in SYNTH_SEEDS:
        folder = tmp_path_factory.mktemp(f"synth-{seed}")
        (truth,) = write_dataset(folder, 1, seed, pool, "check", "png", options, progress=False)
        image = folder / truth["image"]
        reading = read_via_api(services.open_url, image)
        if reading["amount"] == truth["amount"]:
            return SyntheticCheck(image, truth, reading)
        misread.append(f"seed {seed}: read {reading['amount']}, truth {truth['amount']}")
    pytest.fail("the service misreads every candidate synthetic check: " + "; ".join(misread))


# ---------- the tests ----------


def test_drawn_number_is_read_and_shown_with_its_glyph_boxes(
    demo: DemoPage, services: Services, tmp_path: Path
) -> None:
    page = demo.page
    page.goto(services.open_url + "/")
    expect(page.locator("h1")).to_have_text("checkocr")
    draw_number(page, "3407")
    page.get_by_role("button", name="Read drawing").click()

    expect(page.locator("#amount")).to_have_text("3407.00")
    assert table_chars(page) == ["3", "4", "0", "7"]
    expect(page.locator("#review")).to_have_text("Accepted")
    expect(page.locator("#field-info")).to_contain_text("given")
    # The overlay covers the displayed image exactly and has boxes drawn on it.
    image = page.locator("#preview-img").bounding_box()
    overlay = page.locator("#overlay").bounding_box()
    assert image is not None and overlay is not None
    assert abs(image["width"] - overlay["width"]) < 1.5 and abs(image["height"] - overlay["height"]) < 1.5
    assert (
        page.evaluate(
            "() => { const c = document.getElementById('overlay');"
            " const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
            " let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i]) n++; return n; }"
        )
        > 500
    )
    page.screenshot(path=tmp_path / "draw.png", full_page=True)

    page.get_by_role("button", name="Clear").click()
    blank = page.evaluate(
        "() => { const c = document.getElementById('pad');"
        " const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " return px.every(v => v === 255); }"
    )
    assert blank

    # A finger works too (Pointer Events, touch-action: none keeps the page from scrolling instead).
    touch_number(page, "7")
    page.get_by_role("button", name="Read drawing").click()
    expect(page.locator("#amount")).to_have_text("7.00")
    demo.assert_no_script_or_csp_errors()


def test_uploaded_and_dropped_check_shows_the_ground_truth_amount(
    demo: DemoPage, services: Services, readable_check: SyntheticCheck, tmp_path: Path
) -> None:
    image, truth, api = readable_check.image, readable_check.truth, readable_check.api_reading
    page = demo.page
    page.goto(services.open_url + "/")
    page.set_input_files("#file-input", image)
    expect(page.locator("#amount")).to_have_text(truth["amount"])
    expect(page.locator("#status")).to_have_text(f"Read {image.name}.")
    assert table_chars(page) == [ch["char"] for ch in api["characters"]]
    expect(page.locator("#field-info")).to_contain_text("detected")
    expect(page.locator("#zoom-wrap")).to_be_visible()
    page.screenshot(path=tmp_path / "upload.png", full_page=True)

    # The same check dropped onto the drop zone (after clearing the result) reads the same.
    page.evaluate("() => { document.getElementById('amount').textContent = ''; }")
    data_transfer = page.evaluate_handle(
        "([name, b64]) => { const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));"
        " const dt = new DataTransfer(); dt.items.add(new File([bytes], name, {type: 'image/png'}));"
        " return dt; }",
        ["dropped.png", base64.b64encode(image.read_bytes()).decode()],
    )
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": data_transfer})
    expect(page.locator("#amount")).to_have_text(truth["amount"])
    expect(page.locator("#file-name")).to_contain_text("dropped.png")

    # A file that is not an image: the page shows the service's 422 problem, not a reading.
    page.set_input_files(
        "#file-input", {"name": "broken.png", "mimeType": "image/png", "buffer": b"not a png"}
    )
    expect(page.locator("#problem-status")).to_have_text("422")
    expect(page.locator("#problem-title-text")).to_have_text("Unprocessable Content")
    expect(page.locator("#problem-detail")).not_to_be_empty()
    expect(page.locator("#problem-hint")).to_be_hidden()
    expect(page.locator("#result")).to_be_hidden()
    demo.assert_no_script_or_csp_errors()


def test_api_key_flow_shows_the_401_problem_then_reads_with_the_key(
    demo: DemoPage, services: Services, tmp_path: Path
) -> None:
    page = demo.page
    page.goto(services.keyed_url + "/")  # the page itself needs no key
    draw_number(page, "25")
    read = page.get_by_role("button", name="Read drawing")

    read.click()
    expect(page.locator("#problem")).to_be_visible()
    expect(page.locator("#problem-status")).to_have_text("401")
    expect(page.locator("#problem-title-text")).to_have_text("Unauthorized")
    expect(page.locator("#problem-detail")).to_contain_text("an API key is required")
    expect(page.locator("#result")).to_be_hidden()
    expect(page.locator("#problem-hint")).to_be_visible()
    page.screenshot(path=tmp_path / "unauthorized.png", full_page=True)

    page.get_by_label("API key").fill("not-the-key")
    read.click()
    expect(page.locator("#problem-detail")).to_have_text("the API key is not valid")

    page.get_by_label("API key").fill(API_KEY)
    with page.expect_request("**/v1/checks/read**") as sent:
        read.click()
    expect(page.locator("#amount")).to_have_text("25.00")
    expect(page.locator("#problem")).to_be_hidden()
    assert sent.value.headers.get("x-api-key") == API_KEY
    assert API_KEY not in sent.value.url
    assert page.evaluate("() => sessionStorage.getItem('checkocr.apiKey')") == API_KEY
    assert page.evaluate("() => localStorage.length") == 0
    page.screenshot(path=tmp_path / "authorized.png", full_page=True)

    # The key survives a reload of this tab, and "Forget" removes it.
    page.reload()
    expect(page.get_by_label("API key")).to_have_value(API_KEY)
    page.get_by_role("button", name="Forget").click()
    expect(page.get_by_label("API key")).to_have_value("")
    assert page.evaluate("() => sessionStorage.getItem('checkocr.apiKey')") is None
    demo.assert_no_script_or_csp_errors()


def test_the_browser_enforces_the_csp_on_injected_script_and_foreign_images(
    demo: DemoPage, services: Services
) -> None:
    """What an HTML-injection bug would try: run inline script, load from another host. Both blocked."""
    page = demo.page
    page.goto(services.open_url + "/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.append(s); const i = document.createElement('img');"
        " i.src = 'https://cdn.example/pixel.png'; document.body.append(i); }"
    )
    expect(page.locator("body")).to_be_visible()
    page.wait_for_function("() => document.readyState === 'complete'")
    assert page.evaluate("() => window.injected") is None
    violations = [m for m in demo.console_errors if "Content Security Policy" in m]
    assert any("script-src" in m for m in violations), demo.console_errors
    assert any("img-src" in m for m in violations), demo.console_errors
