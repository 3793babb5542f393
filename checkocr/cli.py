"""The one ``checkocr`` entry point. Heavy imports happen inside each command, so ``checkocr read``
never pays for TensorFlow and ``checkocr --help`` is instant."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from checkocr.config import get_settings

app = typer.Typer(
    name="checkocr",
    help="Read the handwritten courtesy amount on bank checks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main_options() -> None:
    """checkocr: check-amount OCR. Settings come from CHECKOCR_* environment variables."""


def fail(message: str, code: int = 2) -> typer.Exit:
    """Prints a one-line error (never a traceback) and returns the exit to raise."""
    typer.echo(f"checkocr: error: {message}", err=True)
    return typer.Exit(code)


def resolve_data_dir(data_dir: Path | None) -> Path:
    """--data-dir, else CHECKOCR_DATA_DIR, else ../shared/data beside the project."""
    resolved = data_dir or get_settings().data_dir
    if resolved is None:
        raise fail("no data folder: pass --data-dir or set CHECKOCR_DATA_DIR")
    return resolved


@app.command()
def train(
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding mnist/ (default CHECKOCR_DATA_DIR)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default onnx_models, or runs/quick)")
    ] = None,
    quick: Annotated[bool, typer.Option(help="Whole path on a few hundred images, one short epoch")] = False,
    download: Annotated[
        bool, typer.Option(help="Fetch MNIST from public mirrors (checksums verified)")
    ] = False,
    seed: Annotated[int, typer.Option()] = 20261121,
    cnn_epochs: Annotated[int, typer.Option(min=1)] = 30,
    logistic_epochs: Annotated[int, typer.Option(min=1)] = 8,
    resnet_budget_s: Annotated[float, typer.Option(min=10, help="Wall-time budget for ResNet-50")] = 900.0,
    resnet_weights: Annotated[Path | None, typer.Option(help="ImageNet ResNet-50 notop .h5 weights")] = None,
    kinds: Annotated[str, typer.Option(help="Comma-separated subset of logistic,cnn,resnet50")] = (
        "logistic,cnn,resnet50"
    ),
) -> None:
    """Train logistic, CNN and ResNet-50 on MNIST; export the best to ONNX with its card."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        from training.train import KINDS, TrainOptions, run
    except ImportError as exc:
        raise fail(f"training needs the train extra ({exc}); run: pip install '.[train]'") from exc
    from checkocr.mnist import MnistError
    from checkocr.mnist import download as fetch

    chosen = tuple(k.strip() for k in kinds.split(",") if k.strip())
    unknown = set(chosen) - set(KINDS)
    if unknown or not chosen:
        raise fail(f"unknown model kinds {sorted(unknown)}; choose from {', '.join(KINDS)}")
    data = resolve_data_dir(data_dir)
    try:
        if download:
            fetch(data)
        options = TrainOptions(
            data_dir=data,
            out_dir=out or Path("runs/quick" if quick else "onnx_models"),
            quick=quick,
            seed=seed,
            cnn_epochs=cnn_epochs,
            logistic_epochs=logistic_epochs,
            resnet_budget_s=resnet_budget_s,
            resnet_weights=resnet_weights,
            kinds=chosen,
        )
        card = run(options)
    except (MnistError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    typer.echo(
        f"shipped {card['architecture']} to {options.out_dir}: test accuracy "
        f"{card['metrics']['test_accuracy']:.4f}; {card['selection']}"
    )


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
