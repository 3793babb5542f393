"""Synthetic checks: ground truth must match the pixels exactly, since reader accuracy is measured on it.

Most tests build the digit pool from a few cv2-drawn digits, so they need no dataset; only the tests of
the real MNIST-test pool and the CLI's happy path use MNIST (skipped with a reason when it is absent).
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from checkocr.cli import app
from checkocr.synth import (
    FORMATS,
    MnistTestPool,
    SynthOptions,
    amount_string,
    generate_field,
    parse_written,
    render_check,
    write_dataset,
)
from checkocr.synth.amounts import MAX_CENTS, WHOLE_DOLLAR_FORMATS, compose, sample_cents

FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_SCRIPT_SIMPLEX)


@pytest.fixture(scope="module")
def drawn_pool() -> MnistTestPool:
    """Digits 0-9 in three fonts, white on black 28x28 like MNIST."""
    images, labels = [], []
    for font in FONTS:
        for digit in range(10):
            image = np.zeros((28, 28), dtype=np.uint8)
            cv2.putText(image, str(digit), (6, 23), font, 0.8, 255, 2, cv2.LINE_AA)
            images.append(image)
            labels.append(digit)
    return MnistTestPool(np.stack(images), np.array(labels), source="drawn")


def digits_value(truth: dict) -> int:
    return int("".join(g["char"] for g in truth["glyphs"] if g["kind"] == "digit"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_written_strings_parse_back_to_their_cents(fmt: str) -> None:
    rng = np.random.default_rng(1)
    for _ in range(300):
        written, tokens, cents = compose(sample_cents(rng), fmt, rng)
        assert parse_written(written) == cents
        assert 1 <= cents <= MAX_CENTS
        assert amount_string(cents) == f"{cents // 100}.{cents % 100:02d}"
        if fmt in WHOLE_DOLLAR_FORMATS:
            assert cents % 100 == 0
        drawn_digits = "".join(t.char for t in tokens if t.kind == "digit")
        assert int(drawn_digits) == (cents // 100 if fmt in WHOLE_DOLLAR_FORMATS else cents)


def test_parse_written_rejects_garbage() -> None:
    for text in ("12.3", "1,23.45", "abc", "12^5", ""):
        with pytest.raises(ValueError):
            parse_written(text)


def test_amounts_are_mostly_realistic() -> None:
    rng = np.random.default_rng(0)
    cents = np.array([sample_cents(rng) for _ in range(3000)])
    assert cents.min() >= 1 and cents.max() <= MAX_CENTS
    typical = np.mean((cents >= 500) & (cents <= 500_000))
    assert 0.75 < typical < 0.95
    assert np.mean(cents >= 1_000_000) > 0.01  # some large amounts too


@pytest.mark.parametrize(("index", "fmt"), list(enumerate(FORMATS)))
def test_ground_truth_matches_the_ink(drawn_pool: MnistTestPool, index: int, fmt: str) -> None:
    layout = ("personal", "business")[index % 2]
    options = SynthOptions(layout=layout, dpi=(200, 300)[index % 2], formats=(fmt,))
    rendered = render_check(np.random.default_rng([42, index]), drawn_pool, options, with_ink_mask=True)
    truth, grey, mask = rendered.truth, rendered.grey, rendered.ink_mask
    assert mask is not None
    h, w = grey.shape
    assert (truth["width"], truth["height"], truth["format"]) == (w, h, fmt)
    assert parse_written(truth["written"]) == truth["amount_cents"]
    assert truth["amount"] == amount_string(truth["amount_cents"])
    scale = 1 if fmt in WHOLE_DOLLAR_FORMATS else 100
    assert digits_value(truth) * (100 // scale) == truth["amount_cents"]
    digit_chars = [g["char"] for g in truth["glyphs"] if g["kind"] == "digit"]
    assert [int(drawn_pool.labels[i]) for i in truth["mnist_test_indices"]] == [int(c) for c in digit_chars]

    covered = np.zeros_like(mask, dtype=bool)
    for glyph in truth["glyphs"]:
        x, y, bw, bh = glyph["bbox"]
        assert bw > 0 and bh > 0 and x >= 0 and y >= 0 and x + bw <= w and y + bh <= h
        assert mask[y : y + bh, x : x + bw].max() > 0.5, f"no ink in the box of {glyph}"
        covered[y : y + bh, x : x + bw] = True
    ink = mask > 0.5
    assert not (ink & ~covered).any(), "handwriting ink outside every glyph box"

    fx, fy, fw, fh = truth["field_bbox"]
    assert fx >= 0 and fy >= 0 and fx + fw <= w and fy + fh <= h
    near_field = np.zeros_like(ink)
    near_field[max(fy - fh // 2, 0) : fy + fh + fh // 2, max(fx - fh // 2, 0) : fx + fw + fh // 2] = True
    assert not (ink & ~near_field).any(), "handwriting far outside the courtesy box"
    centres = [g["bbox"][0] + g["bbox"][2] / 2 for g in truth["glyphs"] if g["kind"] == "digit"]
    assert centres == sorted(centres), "digit glyphs are not left to right"
    # The pixels agree too: every glyph box holds dark ink where the handwriting is.
    for glyph in truth["glyphs"]:
        x, y, bw, bh = glyph["bbox"]
        core = mask[y : y + bh, x : x + bw] > 0.9
        if core.any():
            assert np.median(grey[y : y + bh, x : x + bw][core]) < 150


def test_clean_render_has_dark_ink_in_every_glyph_box(drawn_pool: MnistTestPool) -> None:
    options = SynthOptions(dpi=200, scan_effects=False, max_skew_deg=0.0)
    for seed in range(3):
        rendered = render_check(np.random.default_rng(seed), drawn_pool, options)
        grey, truth = rendered.grey, rendered.truth
        for glyph in truth["glyphs"]:
            x, y, bw, bh = glyph["bbox"]
            assert grey[y : y + bh, x : x + bw].min() < 110, glyph


def test_same_seed_same_bytes_other_seed_differs(drawn_pool: MnistTestPool, tmp_path: Path) -> None:
    for folder, seed in (("a", 7), ("b", 7), ("c", 8)):
        write_dataset(
            tmp_path / folder, 3, seed, drawn_pool, kind="field", file_format="mixed", progress=False
        )
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "index.jsonl").read_bytes() != (tmp_path / "c" / "index.jsonl").read_bytes()


def test_field_crop_keeps_boxes_in_the_crop(drawn_pool: MnistTestPool) -> None:
    for seed in range(3):
        grey, truth = generate_field(np.random.default_rng(seed), drawn_pool, SynthOptions(dpi=200))
        h, w = grey.shape
        assert truth["kind"] == "field" and (truth["width"], truth["height"]) == (w, h)
        assert w < 3 * 200 and h < 200  # a crop (box <= 1.9 in plus margins), not the 6-8.5 in check
        fx, fy, fw, fh = truth["field_bbox"]
        assert fw > 0.8 * 200 and fx + fw <= w and fy + fh <= h
        for glyph in truth["glyphs"]:
            x, y, bw, bh = glyph["bbox"]
            assert bw > 0 and bh > 0 and x + bw <= w and y + bh <= h
            assert grey[y : y + bh, x : x + bw].min() < 150


def test_tiff_is_bitonal_group4(drawn_pool: MnistTestPool, tmp_path: Path) -> None:
    (truth,) = write_dataset(tmp_path, 1, 3, drawn_pool, file_format="tiff", progress=False)
    with Image.open(tmp_path / truth["image"]) as image:
        assert image.mode == "1"
        assert image.info["compression"] == "group4"
        assert image.size == (truth["width"], truth["height"])
        pixels = np.asarray(image)
    x, y, w, h = truth["glyphs"][0]["bbox"]
    assert not pixels[y : y + h, x : x + w].all(), "the first glyph vanished in thresholding"
    assert pixels.mean() > 0.8  # mostly paper: the background dropped out, no dithering


def test_dataset_files_and_index(drawn_pool: MnistTestPool, tmp_path: Path) -> None:
    truths = write_dataset(tmp_path, 4, 1, drawn_pool, file_format="jpeg", progress=False)
    lines = (tmp_path / "index.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == truths
    for truth in truths:
        assert json.loads((tmp_path / Path(truth["image"]).with_suffix(".json").name).read_text()) == truth
        with Image.open(tmp_path / truth["image"]) as image:
            assert image.format == "JPEG" and image.mode == "L"
            assert image.size == (truth["width"], truth["height"])
    with pytest.raises(ValueError, match="count"):
        write_dataset(tmp_path, 0, 1, drawn_pool)


def test_pool_needs_every_digit() -> None:
    with pytest.raises(ValueError, match="no examples"):
        MnistTestPool(np.zeros((3, 28, 28), np.uint8), np.array([0, 1, 2]))


def test_real_pool_is_the_mnist_test_split(mnist_data_dir: Path) -> None:
    pool = MnistTestPool.from_data_dir(mnist_data_dir)
    assert pool.images.shape == (10_000, 28, 28) and pool.source == "mnist-test"


def test_cli_writes_images_json_and_index(mnist_data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["synth", "--out", str(out), "--count", "3", "--seed", "5", "--kind", "field", "--format", "mixed"]
    result = CliRunner().invoke(app, [*args, "--data-dir", str(mnist_data_dir), "--no-progress"])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert len([f for f in files if f.endswith(".json")]) == 3
    assert len([f for f in files if f.endswith((".png", ".jpg", ".tif"))]) == 3
    index = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert [t["image"] for t in index] == sorted(f for f in files if f.endswith((".png", ".jpg", ".tif")))
    assert all(t["digit_source"] == "mnist-test" for t in index)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--count", "0"], "count must be at least 1"),
        (["--count", "2", "--format", "bmp"], "'bmp' is not one of 'png', 'jpeg', 'tiff', 'mixed'"),
        (["--count", "2", "--kind", "page"], "'page' is not one of 'check', 'field'"),
        (["--count", "2", "--dpi", "150"], "'150' is not one of '200', '300', 'mixed'"),
    ],
)
def test_cli_rejects_bad_arguments(tmp_path: Path, extra: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["synth", "--out", str(tmp_path / "o"), *extra], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_reports_missing_mnist(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", "--out", str(tmp_path / "o"), "--count", "1", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "missing" in result.output or "no MNIST" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_reports_unwritable_output(mnist_data_dir: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(
        app, ["synth", "--out", str(blocker / "sub"), "--count", "1", "--data-dir", str(mnist_data_dir)]
    )
    assert result.exit_code == 2
    assert "cannot write" in result.output
