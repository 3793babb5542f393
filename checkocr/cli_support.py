"""What the ``checkocr`` commands share: one-line errors, the data folder, the training entry points,
and the environment variables listed in ``checkocr --help``."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import typer

from checkocr.config import Settings, get_settings


def environment_help() -> str:
    """The CHECKOCR_* variables with their defaults and meanings, from the one Settings class."""
    rows = []
    for name, info in Settings.model_fields.items():
        default = info.get_default(call_default_factory=False)
        shown = "" if default is None or info.default_factory else f" (default {default})"
        meaning = f": {info.description}" if info.description else ""
        rows.append(f"CHECKOCR_{name.upper()}{shown}{meaning}")
    return "Environment variables (docs in README.md, Configuration):\n\n" + "\n\n".join(rows)


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


def training_module(name: str, purpose: str) -> ModuleType:
    """Imports a module of ``training`` with its progress logged: TensorFlow comes only with the train
    extra, so a serving install gets a fix to run instead of an ImportError."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise fail(f"{purpose} needs the train extra ({exc}); run: pip install '.[train]'") from exc


def run_training(run: Callable[[Any], dict[str, Any]], options: Any) -> dict[str, Any]:
    """Runs a training entry point; a missing file, a bad dataset or model card, or a bad option is a
    one-line error instead of a traceback."""
    from checkocr.mnist import MnistError
    from checkocr.model_card import ModelError

    try:
        return run(options)
    except (MnistError, ModelError, FileNotFoundError, ValueError) as exc:
        raise fail(str(exc)) from exc
