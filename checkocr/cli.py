"""The one ``checkocr`` entry point. Heavy imports happen inside each command, so ``checkocr read``
never pays for TensorFlow and ``checkocr --help`` is instant."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from checkocr.cli_support import environment_help, fail, resolve_data_dir, run_training, training_module
from checkocr.cli_synth import synth
from checkocr.config import PROJECT_ROOT, Settings
from checkocr.options import (
    DecimalChoice,
    Engine,
    OutputFormat,
    ReaderChoice,
    RegionChoice,
)
from checkocr.synth import FORMATS, SynthOptions

# batch checks its own options (checkocr/batch/command.py) so that a bad value is one error line, as
# docs/batch.md promises; its --help lists the values through the metavar.


def choices(options: type[StrEnum]) -> str:
    return "[" + "|".join(options) + "]"


MNIST_BASE_MODEL = PROJECT_ROOT / "onnx_models" / "digits-mnist.onnx"

READER_HELP = (
    "digits: split + classify; field: CTC over the whole field; fused: both (default CHECKOCR_READER)"
)


app = typer.Typer(
    name="checkocr",
    help="Read the handwritten courtesy amount on bank checks.",
    epilog=environment_help(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main_options() -> None:
    """checkocr: check-amount OCR. Settings come from CHECKOCR_* environment variables."""


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
    training = training_module("training.train", "training")
    from checkocr.mnist import MnistError
    from checkocr.mnist import download as fetch

    chosen = tuple(k.strip() for k in kinds.split(",") if k.strip())
    unknown = set(chosen) - set(training.KINDS)
    if unknown or not chosen:
        raise fail(f"unknown model kinds {sorted(unknown)}; choose from {', '.join(training.KINDS)}")
    data = resolve_data_dir(data_dir)
    try:
        if download:
            fetch(data)
        options = training.TrainOptions(
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
        card = training.run(options)
    except (MnistError, FileNotFoundError) as exc:
        raise fail(str(exc)) from exc
    typer.echo(
        f"shipped {card['architecture']} to {options.out_dir}: test accuracy "
        f"{card['metrics']['test_accuracy']:.4f}; {card['selection']}"
    )


@app.command()
def finetune(
    fields: Annotated[
        list[Path] | None,
        typer.Option(help="Labelled field folder (labels.tsv + images/); repeatable. Default: ORAND dev"),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding mnist/ (default CHECKOCR_DATA_DIR)")
    ] = None,
    base: Annotated[
        Path, typer.Option(help="MNIST-only CNN to start from (with its card)")
    ] = MNIST_BASE_MODEL,
    out: Annotated[Path, typer.Option(help="Output folder")] = Path("runs/finetune"),
    quick: Annotated[bool, typer.Option(help="A few hundred MNIST images and 20 synthetic checks")] = False,
    cross_validate: Annotated[
        bool, typer.Option(help="First measure on held-out fields (2 folds) what the fine tune gains")
    ] = True,
    epochs: Annotated[int, typer.Option(min=1)] = 2,
    seed: Annotated[int, typer.Option()] = 20261121,
) -> None:
    """Fine-tune the MNIST CNN on digits the reader cuts from real labelled fields and synthetic checks."""
    data = resolve_data_dir(data_dir)
    folders = fields or [data / "orand-car-a-dev"]
    for folder in folders:
        if not (folder / "labels.tsv").is_file():
            raise fail(f"{folder}: not a labelled field folder (needs labels.tsv and images/)")
    tuning = training_module("training.finetune", "fine-tuning")
    options = tuning.FinetuneOptions(
        data_dir=data,
        fields=folders,
        base_model=base,
        out_dir=out,
        quick=quick,
        cross_validate=cross_validate,
        seed=seed,
        epochs=epochs,
        synth_checks=20 if quick else tuning.SYNTH_CHECKS,
    )
    card = run_training(tuning.run, options)
    for row in card["training"]["finetune"]["cross_validation"]:
        typer.echo(
            f"fold {row['fold']} {row['fields']}: held-out exact {row['exact_base']} -> "
            f"{row['exact_finetuned']} of {row['held_out']}"
        )
    typer.echo(f"fine-tuned model in {out}: MNIST test accuracy {card['metrics']['test_accuracy']:.4f}")


@app.command()
def batch(
    input_path: Annotated[
        Path, typer.Argument(metavar="INPUT", help="Image folder (recursive) or list file")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output file, one line per source")],
    region: Annotated[
        str,
        typer.Option(metavar=choices(RegionChoice), help="auto: find the amount field; field: images are it"),
    ] = "auto",
    workers: Annotated[
        int | None, typer.Option(min=1, help="Processes/actors (default: usable CPUs)")
    ] = None,
    engine: Annotated[
        str, typer.Option(metavar=choices(Engine), help="local: a process pool; ray: Ray Data")
    ] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join (default: local Ray)")] = None,
    resume: Annotated[bool, typer.Option(help="Skip sources already in --out; repair a torn end")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty --out instead of refusing")] = False,
    output_format: Annotated[
        str | None, typer.Option("--format", metavar=choices(OutputFormat), help="Default: the --out suffix")
    ] = None,
    model_path: Annotated[Path | None, typer.Option(help="ONNX model (default CHECKOCR_MODEL_PATH)")] = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="Files per worker task")] = 16,
    progress: Annotated[bool | None, typer.Option(help="Progress bar (default: if stderr is a tty)")] = None,
    reader: Annotated[ReaderChoice | None, typer.Option(help=READER_HELP)] = None,
) -> None:
    """Read every check of a folder or list file into JSONL or CSV; errors become lines, runs resume."""
    from checkocr.batch.command import run_batch_command

    code = run_batch_command(
        input_path,
        out,
        region,
        workers,
        engine,
        ray_address,
        resume,
        overwrite,
        output_format,
        model_path,
        chunk_size,
        progress,
        reader=reader.value if reader else None,
    )
    if code:
        raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default CHECKOCR_HOST, 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default CHECKOCR_PORT or 8000)")] = None,
    model_path: Annotated[Path | None, typer.Option(help="ONNX model; its card is <stem>.json")] = None,
    insecure_no_auth: Annotated[
        bool, typer.Option("--insecure-no-auth", help="Allow a non-loopback bind without CHECKOCR_API_KEYS")
    ] = False,
) -> None:
    """Start the HTTP service (uvicorn) with the shipped model."""
    try:
        from service.serve import ServeError
        from service.serve import serve as run_service
    except ImportError as exc:
        raise fail(f"serving needs the serve extra ({exc}); run: pip install '.[serve]'") from exc
    from pydantic import ValidationError

    overrides = {"host": host, "port": port, "model_path": model_path}
    try:
        settings = Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        raise fail(f"invalid settings: {exc}") from exc
    try:
        run_service(settings, insecure_no_auth=insecure_no_auth)
    except ServeError as exc:
        raise fail(str(exc)) from exc


@app.command()
def read(
    images: Annotated[list[Path], typer.Argument(metavar="IMAGE...", help="Check or field images")],
    field: Annotated[bool, typer.Option("--field", help="The images are already the amount field")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One Reading JSON object per line")] = False,
    decimal: Annotated[DecimalChoice, typer.Option(help="Decimal mark")] = DecimalChoice.auto,
    model_path: Annotated[Path | None, typer.Option(help="ONNX model (default CHECKOCR_MODEL_PATH)")] = None,
    reader: Annotated[ReaderChoice | None, typer.Option(help=READER_HELP)] = None,
) -> None:
    """Read the courtesy amount of one or more checks; a broken file is reported and the rest go on."""
    import json

    from checkocr.imageio import ImageDecodeError
    from checkocr.model_card import ModelError
    from checkocr.reader import Reader

    overrides = {"model_path": model_path, "reader": reader.value if reader else None}
    settings = Settings(**{key: value for key, value in overrides.items() if value is not None})
    settings = settings.model_copy(update={"threads": settings.intra_op_threads(1)})  # one read at a time
    try:
        amount_reader = Reader.from_settings(settings)
    except ModelError as exc:
        raise fail(f"cannot load a model: {exc}") from exc
    failures = 0
    region = "field" if field else "auto"
    limit = settings.max_image_pixels
    for path in images:
        try:
            reading = amount_reader.read_path(path, region=region, decimal=decimal.value, max_pixels=limit)
        except ImageDecodeError as exc:
            failures += 1
            typer.echo(f"checkocr: error: {path}: {exc.detail}", err=True)
            continue
        if as_json:
            typer.echo(json.dumps({"source": str(path), **reading.model_dump(mode="json")}))
        else:
            flag = "REVIEW" if reading.needs_review else "ok"
            amount = reading.amount if reading.amount is not None else f"unreadable ({reading.reason})"
            reasons = f" ({', '.join(reading.review_reasons)})" if reading.review_reasons else ""
            typer.echo(
                f"{path}: {amount}  confidence {reading.confidence:.3f}  {flag}{reasons}  [{reading.reader}]"
            )
    if failures:
        raise typer.Exit(1)


app.command()(synth)


@app.command("train-field")
def train_field(
    data_dir: Annotated[
        Path | None, typer.Option(help="Folder holding mnist/, orand-car-a-dev/, idrbt-cheques-dev/")
    ] = None,
    out: Annotated[Path, typer.Option(help="Output folder (runs, checkpoints, oof.npz, field.onnx)")] = Path(
        "runs/field"
    ),
    folds: Annotated[
        int, typer.Option(min=0, help="Cross-validation folds before the final run (0: none)")
    ] = 3,
    seed: Annotated[int, typer.Option()] = 20261206,
    steps: Annotated[
        int, typer.Option(min=1, help="Optimiser steps per run (each fold and the final)")
    ] = 450,
    budget_s: Annotated[float, typer.Option(min=10, help="Wall-time cap per run, seconds")] = 2700.0,
    lr: Annotated[float, typer.Option(help="AdamW peak learning rate")] = 2e-4,
    synth_share: Annotated[float, typer.Option(min=0.0, max=1.0, help="Synthetic share of a batch")] = 0.4,
    check_share: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of the synthetic part cut from whole checks")
    ] = 0.35,
    check_formats: Annotated[
        str,
        typer.Option(
            help="Comma-separated amount formats the synthetic checks are written in, drawn uniformly "
            "(name a format twice to draw it twice as often; default: every format once)"
        ),
    ] = "",
    min_width: Annotated[
        int, typer.Option(min=8, help="Pad inputs to this many columns (the exported card's contract)")
    ] = 320,
    resume: Annotated[bool, typer.Option(help="Continue each run from its checkpoint under --out")] = False,
    init_from: Annotated[
        Path | None,
        typer.Option(
            help="A previous run's --out (same --seed and --folds) whose fold and final checkpoints "
            "each run continues from, instead of starting from the base model"
        ),
    ] = None,
    start_weight: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Export (1 - w) x the trained weights + w x the run's starting weights (0: trained only)",
        ),
    ] = 0.0,
    final: Annotated[
        bool,
        typer.Option(
            help="Train the final model on every field after the folds (--no-final: stop after the "
            "folds' out-of-fold frames, all a refit of the fusion card needs)"
        ),
    ] = True,
    quick: Annotated[bool, typer.Option(help="A few steps on a handful of fields (about 2 minutes)")] = False,
) -> None:
    """Fine-tune the field recogniser (CTC) on real and synthetic amount fields; cross-validate; ONNX."""
    data = resolve_data_dir(data_dir)
    formats = tuple(f.strip() for f in check_formats.split(",") if f.strip()) or FORMATS
    try:
        SynthOptions(formats=formats)  # the generator's own check of the format names
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--check-formats") from None
    if not final and folds == 0:
        raise typer.BadParameter("--no-final needs folds to run", param_hint="--folds")
    tuning = training_module("training.field_finetune", "field fine-tuning")
    options = tuning.FieldTrainOptions(
        data_dir=data,
        out_dir=out,
        folds=2 if quick and folds else folds,
        seed=seed,
        steps=steps,
        budget_s=budget_s,
        lr=lr,
        synth_share=synth_share,
        check_share=check_share,
        check_formats=formats,
        min_width=min_width,
        resume=resume,
        init_from=init_from,
        start_weight=start_weight,
        quick=quick,
        final_only=folds == 0,
        cv_only=not final,
    )
    card = run_training(tuning.run, options)
    # A run with --no-final returns its cross-validation alone; a full run, its final model's card.
    if final:
        folds_run = (card["metrics"].get("cross_validation") or {}).get("folds", [])
    else:
        folds_run = card["cross_validation"]
    for row in folds_run:
        typer.echo(
            f"fold {row['fold']}: ORAND held-out exact {row['orand']['exact_base']} -> "
            f"{row['orand']['exact_finetuned']} of {row['orand']['held_out']}"
        )
    if final:
        typer.echo(f"fine-tuned field model in {out / 'field.onnx'} (card field.json)")
    else:
        cv_dir = out.with_name(f"{out.name}-cv")
        typer.echo(f"fold models and out-of-fold frames in {cv_dir} (oof.npz); no final model (--no-final)")


def main() -> None:  # pragma: no cover - console entry
    sys.exit(app())
