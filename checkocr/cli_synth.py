"""``checkocr synth``: synthetic checks with exact ground truth, as image files or an X9.37 cash letter."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from checkocr.cli_support import fail, resolve_data_dir
from checkocr.options import SynthDpi, SynthFormat, SynthKind, SynthLayout


def synth(
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (created if missing)")] = None,
    count: Annotated[int, typer.Option(help="Number of images (with --x937: of check items)")] = 0,
    seed: Annotated[int, typer.Option(help="Same seed, byte-identical files")] = 0,
    kind: Annotated[
        SynthKind, typer.Option(help="A whole check or the courtesy-amount crop")
    ] = SynthKind.check,
    image_format: Annotated[
        SynthFormat, typer.Option("--format", help="tiff: bitonal G4; mixed: per image")
    ] = SynthFormat.png,
    layout: Annotated[SynthLayout, typer.Option(help="Check layout")] = SynthLayout.mixed,
    dpi: Annotated[SynthDpi, typer.Option(help="Scan resolution")] = SynthDpi.mixed,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding mnist/ (default CHECKOCR_DATA_DIR)")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Progress bar on stderr")] = True,
    x937: Annotated[
        Path | None, typer.Option("--x937", help="Write an X9.37 cash letter FILE instead of --out images")
    ] = None,
    wrong_share: Annotated[
        float, typer.Option(help="With --x937: share of items keyed with a wrong amount")
    ] = 0.0,
    encoding: Annotated[str, typer.Option(help="With --x937: ebcdic or ascii")] = "ebcdic",
    framing: Annotated[str, typer.Option(help="With --x937: prefixed (4-byte lengths), fixed")] = "prefixed",
) -> None:
    """Synthetic US checks with handwritten amounts from MNIST test digits, and exact ground truth."""
    if x937 is not None:
        synth_cash_letter(x937, out, count, seed, wrong_share, encoding, framing, data_dir, progress)
        return
    if out is None:
        raise fail("give --out FOLDER for images, or --x937 FILE for a cash letter")
    if wrong_share:
        raise fail("--wrong-share only applies with --x937")
    from checkocr.synth import SynthOptions, write_dataset
    from checkocr.synth.writer import validate

    try:
        validate(count, seed, kind.value, image_format.value)
        options = SynthOptions(
            layout=None if layout == "mixed" else layout.value, dpi=None if dpi == "mixed" else int(dpi)
        )
    except ValueError as exc:
        raise fail(str(exc)) from exc
    pool = mnist_pool(data_dir)
    try:
        truths = write_dataset(
            out, count, seed, pool, kind.value, image_format.value, options, progress=progress
        )
    except OSError as exc:
        raise fail(f"cannot write to {out}: {exc.strerror or exc}") from exc
    typer.echo(f"wrote {len(truths)} {kind.value} images with ground truth and index.jsonl to {out}")


def synth_cash_letter(
    path: Path,
    out: Path | None,
    count: int,
    seed: int,
    wrong_share: float,
    encoding: str,
    framing: str,
    data_dir: Path | None,
    progress: bool,
) -> None:
    """``checkocr synth --x937 FILE``: synthetic checks (G4 TIFF fronts) in one X9.37 file."""
    from checkocr.x937.synth import truth_path, write_synthetic
    from checkocr.x937.writer import ENCODINGS, FRAMINGS

    if out is not None:
        raise fail("--x937 writes one file; drop --out")
    if count < 1:
        raise fail(f"count must be at least 1, got {count}")
    if not 0.0 <= wrong_share <= 1.0:
        raise fail(f"--wrong-share must be between 0 and 1, got {wrong_share}")
    if encoding not in ENCODINGS or framing not in FRAMINGS:
        raise fail(f"--encoding must be one of {ENCODINGS} and --framing one of {FRAMINGS}")
    pool = mnist_pool(data_dir)
    try:
        summary = write_synthetic(
            path,
            count,
            seed,
            pool,
            wrong_share,
            encoding,
            framing,
            progress,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from exc
    typer.echo(
        f"wrote {summary.items} check items ({round(count * wrong_share)} keyed wrong, {encoding}, "
        f"{framing}, {summary.bytes} bytes) to {path}; ground truth in {truth_path(path)}"
    )


def mnist_pool(data_dir: Path | None):
    """The MNIST test digits the synthetic amounts are written with (a one-line error when missing)."""
    from checkocr.mnist import MnistError
    from checkocr.synth import MnistTestPool

    try:
        return MnistTestPool.from_data_dir(resolve_data_dir(data_dir))
    except MnistError as exc:
        raise fail(str(exc)) from exc
