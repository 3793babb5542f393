"""The Reader: plumbing with a stand-in classifier, end-to-end reads of synthetic checks with the
shipped model, and clear errors for broken files (API and CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from checkocr import digit_path
from checkocr import reader as reader_module
from checkocr.cli import app
from checkocr.imageio import ImageDecodeError
from checkocr.reader import Reader
from checkocr.schemas import ModelInfo
from segmentation.split import Piece, Segment


class SevenClassifier:
    """Stands in for DigitClassifier: calls every digit a 7 with probability 0.95, counts calls."""

    info = ModelInfo(name="seven", version="0", sha256="0" * 64)

    def __init__(self) -> None:
        self.calls = 0

    def predict(self, digits: np.ndarray) -> np.ndarray:
        assert digits.ndim == 4 and digits.shape[1:] == (28, 28, 1)
        assert digits.min() >= 0.0 and digits.max() <= 1.0
        self.calls += 1
        out = np.full((len(digits), 10), 0.05 / 9, dtype=np.float32)
        out[:, 7] = 0.95
        return out


def drawn_field(text: str = "3 14", offset: tuple[int, int] = (0, 0)) -> np.ndarray:
    grey = np.full((90 + offset[1], 320 + offset[0]), 225, np.uint8)
    cv2.putText(grey, text, (20 + offset[0], 70 + offset[1]), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 25, 5)
    return grey


def png_bytes(grey: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".png", grey)
    assert ok
    return encoded.tobytes()


def test_field_reading_plumbing_with_one_model_batch() -> None:
    classifier = SevenClassifier()
    reader = Reader(classifier, accept_threshold=0.5)  # type: ignore[arg-type]
    reading = reader.read_array(drawn_field("3 14"), region="field")
    assert classifier.calls == 1  # every candidate of the field in one batch
    assert reading.amount == "777.00" and reading.amount_cents == 77700
    assert reading.field is not None and reading.field.source == "given"
    p7 = float(digit_path.adjust_priors(classifier.predict(np.zeros((1, 28, 28, 1), np.float32)))[0, 7])
    # x height_agreement, which is 0.9997 for these Hershey digits (heights 41, 40, 40 px)
    assert reading.confidence == pytest.approx(p7**3, abs=1e-3)
    assert not reading.needs_review
    assert set(reading.timings_ms) == {"decode", "locate", "segment", "classify", "total"}
    assert reading.model.name == "seven"


class InkClassifier:
    """Stands in for DigitClassifier: the class is a function of the image's ink (its sum, mod 10)."""

    info = ModelInfo(name="ink", version="0", sha256="0" * 64)

    @staticmethod
    def label(digit: np.ndarray) -> int:
        return round(float(digit.sum())) % 10

    def predict(self, digits: np.ndarray) -> np.ndarray:
        out = np.full((len(digits), 10), 0.04 / 9, dtype=np.float32)
        out[np.arange(len(digits)), [self.label(d) for d in digits]] = 0.96
        return out


@pytest.mark.parametrize("text", ["3 14", "25", "7 0 9 1"])
def test_digit_inputs_are_the_inputs_behind_the_reading(text: str) -> None:
    """Training pairs these with label digits in order, so they must be the chosen inputs, left to right."""
    reader = Reader(InkClassifier())  # type: ignore[arg-type]
    reading = reader.read_array(drawn_field(text), region="field")
    inputs = reader.digit_inputs(drawn_field(text), region="field")
    digits = [c.char for c in reading.characters if c.kind == "digit"]
    assert inputs.shape == (len(digits), 28, 28, 1) and len(digits) == len(text.replace(" ", ""))
    assert [str(InkClassifier.label(d)) for d in inputs] == digits


def test_glyph_boxes_are_in_pixels_of_the_submitted_image() -> None:
    reader = Reader(SevenClassifier())  # type: ignore[arg-type]
    plain = reader.read_array(drawn_field("8"), region="field").characters[0].bbox
    shifted = reader.read_array(drawn_field("8", offset=(40, 25)), region="field").characters[0].bbox
    assert (shifted[0] - plain[0], shifted[1] - plain[1]) == (40, 25)


def test_blank_field_is_unreadable_not_an_error() -> None:
    reader = Reader(SevenClassifier())  # type: ignore[arg-type]
    reading = reader.read_bytes(png_bytes(np.full((60, 200), 230, np.uint8)), region="field")
    assert reading.amount is None and reading.amount_cents is None
    assert reading.needs_review and reading.reason


@pytest.mark.parametrize("data", [b"", b"not an image at all", png_bytes(drawn_field())[:60]])
def test_broken_bytes_raise_image_decode_error(data: bytes) -> None:
    reader = Reader(SevenClassifier())  # type: ignore[arg-type]
    with pytest.raises(ImageDecodeError):
        reader.read_bytes(data)


def test_bad_options_are_rejected() -> None:
    reader = Reader(SevenClassifier())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        reader.read_array(drawn_field(), region="box")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Reader(SevenClassifier(), accept_threshold=1.5)  # type: ignore[arg-type]


def test_cli_reports_broken_files_and_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(png_bytes(drawn_field("25")))
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    monkeypatch.setattr(
        reader_module.Reader, "from_settings", classmethod(lambda cls, s: cls(SevenClassifier()))
    )
    result = CliRunner().invoke(app, ["read", "--field", "--json", str(broken), str(good)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [line["source"] for line in lines] == [str(good)]
    assert lines[0]["amount"] == "77.00"
    assert "broken.png" in result.stderr and "Traceback" not in result.stderr


def test_cli_missing_model_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    image = tmp_path / "x.png"
    image.write_bytes(png_bytes(drawn_field()))
    missing = tmp_path / "nowhere" / "digits.onnx"
    monkeypatch.setenv("CHECKOCR_MODEL_PATH", str(missing))
    result = CliRunner().invoke(app, ["read", str(image)])
    assert result.exit_code == 2
    assert str(missing) in result.stderr and "Traceback" not in result.stderr


def test_synthetic_checks_end_to_end(model_path: Path, mnist_data_dir: Path) -> None:
    """A few generated checks read with the shipped model: field found and most amounts exact."""
    from checkocr.classifier import DigitClassifier
    from checkocr.synth import MnistTestPool, generate_check

    pool = MnistTestPool.from_data_dir(mnist_data_dir)
    reader = Reader(DigitClassifier(model_path))
    rng = np.random.default_rng(424242)
    found = exact = 0
    for _ in range(6):
        grey, truth = generate_check(rng, pool)
        reading = reader.read_array(grey)
        fx, fy, fw, fh = truth["field_bbox"]
        bx, by, bw, bh = reading.field.bbox if reading.field else (0, 0, 1, 1)
        iw = max(0, min(fx + fw, bx + bw) - max(fx, bx))
        ih = max(0, min(fy + fh, by + bh) - max(fy, by))
        found += iw * ih / (fw * fh + bw * bh - iw * ih) >= 0.5
        exact += reading.amount == truth["amount"]
    assert found >= 5
    assert exact >= 3


class DoubtfulClassifier(SevenClassifier):
    """Calls every digit a 7, with probability ``p``."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def predict(self, digits: np.ndarray) -> np.ndarray:
        out = np.full((len(digits), 10), (1.0 - self.p) / 9, dtype=np.float32)
        out[:, 7] = self.p
        return out


@pytest.mark.parametrize(("p", "amount"), [(0.5, "77.00"), (0.999, "777.00")])
def test_sign_like_first_mark_is_a_dollar_unless_read_as_a_sure_digit(
    p: float, amount: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A "$" written against the amount is flagged by split; the classifier's doubt decides."""

    def segments(*_args: object, **_kwargs: object) -> list[Segment]:
        out = []
        for i in range(3):
            piece = Piece((10 + 30 * i, 10, 20, 40), np.full((40, 20), 255, np.uint8))
            out.append(Segment("digit", piece.bbox, options=[[piece]], sign_like=i == 0))
        return out

    monkeypatch.setattr(reader_module, "segment_field", segments)
    reading = Reader(DoubtfulClassifier(p), accept_threshold=0.5).read_array(drawn_field(), region="field")  # type: ignore[arg-type]
    assert reading.amount == amount
    assert (reading.characters[0].kind == "currency") == (amount == "77.00")


def test_a_digit_far_off_the_others_height_lowers_the_confidence() -> None:
    """A digit twice as tall as the others is likely a segmentation error that reads confidently."""
    grey = np.full((150, 360), 225, np.uint8)
    cv2.putText(grey, "3 1", (20, 120), cv2.FONT_HERSHEY_SIMPLEX, 2.0, 25, 5)
    cv2.putText(grey, "1", (200, 120), cv2.FONT_HERSHEY_SIMPLEX, 4.0, 25, 9)
    reader = Reader(SevenClassifier(), accept_threshold=0.5)  # type: ignore[arg-type]
    tall = reader.read_array(grey, region="field")
    digits = float(np.prod([c.confidence for c in tall.characters if c.kind == "digit"]))
    assert tall.amount is not None
    assert tall.confidence < 0.85 * digits
    assert tall.confidence > 0.5 * digits  # a doubt, not a rejection


def digit_glyphs(boxes: list[tuple[int, int, int, int]], raised: int = 0) -> tuple[list, list]:
    """Digit glyphs over ``boxes`` (the last ``raised`` marked raised) and their (index, piece) pairs."""
    from checkocr.assemble import Glyph

    probs = np.full(10, 0.01)
    probs[0] = 0.91
    glyphs = [Glyph.digit(probs, box, raised=i >= len(boxes) - raised) for i, box in enumerate(boxes)]
    pieces = [(i, Piece(box, np.zeros((box[3], box[2]), np.uint8))) for i, box in enumerate(boxes)]
    return glyphs, pieces


def test_cents_split_off_the_digit_they_touch_are_raised_with_the_last_one() -> None:
    """Synthetic "466^00": the "6"'s tail ran into the first cent, the blob was tall when raised
    cents were marked, and only the last "0" was raised (466000 is no reading); cut apart, the
    pieces show both cents small and high."""
    body = [(0, 10, 20, 40), (25, 10, 20, 40), (50, 10, 20, 40)]
    glyphs, pieces = digit_glyphs([*body, (72, 10, 16, 24), (92, 10, 16, 24)], raised=1)
    lifted = reader_module.with_split_cents_raised(glyphs, pieces)
    assert [g.raised for g in lifted] == [False, False, False, True, True]
    # Cents written on the line stay flat.
    glyphs, pieces = digit_glyphs([*body, (72, 26, 16, 24), (92, 26, 16, 24)], raised=1)
    assert [g.raised for g in reader_module.with_split_cents_raised(glyphs, pieces)] == [False] * 4 + [True]
