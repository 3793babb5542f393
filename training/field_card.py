"""What a field fine-tune leaves behind besides the model: the out-of-fold frames and the card.

``oof.npz`` keeps every real field's frames from the fold model that did not train on it (the fused
reader is calibrated on them, ``training/fusion.py``); the card records data, options, hardware,
budget and the cross-validation (``checkocr.field_model.FieldModelCard``).
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnx
import onnxruntime as ort
import torch

from checkocr.field_model import FieldModel
from checkocr.mnist import sha256_of
from training import field_data as fd
from training import field_synth as fs

REPO_ROOT = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:
    from training.field_finetune import FieldTrainOptions

NAME = "field"


def save_oof(path: Path, fields, oof, texts, fold_of, base_frames) -> None:
    """Out-of-fold frame probabilities of every real field, from the fold model that did not train on it."""
    frames = np.empty(len(fields), dtype=object)
    base = np.empty(len(fields), dtype=object)
    for i, (f, b) in enumerate(zip(oof, base_frames, strict=True)):
        frames[i] = None if f is None else f.astype(np.float16)
        base[i] = b.astype(np.float16)
    np.savez_compressed(
        path,
        names=np.array([f.name for f in fields]),
        labels=np.array([f.digits for f in fields]),
        fold=np.array(fold_of),
        best_path=np.array(texts),
        frames=frames,
        base_frames=base,
        alphabet=np.array(fs.FIELD_CHARS + "₹"),
    )


def portable(text: str) -> str:
    """``text`` with this checkout's and the data folder's absolute paths made relative, so a card
    names no machine's layout (a card is copied between machines with the model)."""
    for root, name in ((REPO_ROOT, "."), (REPO_ROOT.parent / "shared", "../shared")):
        text = text.replace(str(root) + "/", name + "/").replace(str(root), name)
    return text


def write_card(path: Path, options: FieldTrainOptions, facts, metrics, base: FieldModel) -> dict[str, object]:
    """A ``FieldModelCard`` with the base's input and output contract (serving code is unchanged)."""
    card = json.loads(Path(options.base_model).with_suffix(".json").read_text(encoding="utf-8"))
    source = dict(card["source"])
    source.update(
        {
            "model": f"{card['source']['model']}, fine-tuned on amount fields",
            "base": f"{options.base_model.name} (sha256 {card['sha256']})",
            "changes": source.get("changes", "") + "; fine-tuned with CTC loss (training/field_finetune.py)",
            "command": portable(options.command),
        }
    )
    card["input"]["min_width"] = options.min_width
    card.update(
        {
            "name": NAME,
            "version": f"ppocrv6-small-amount-ft-{datetime.now(UTC):%Y.%m.%d.%H%M}",
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256": sha256_of(path),
            "framework": {
                "torch": torch.__version__,
                "onnx2torch": _version("onnx2torch"),
                "onnx": onnx.__version__,
                "onnxruntime": ort.__version__,
                "opset": "17",
            },
            "source": source,
            "metrics": metrics,
            "training": {
                "data": {
                    str(
                        p.name if p.parent.name == "training" else p.relative_to(options.data_dir)
                    ): sha256_of(p)
                    for p in fd.data_files(options.data_dir)
                    if p.is_file()
                },
                "mnist": "train split only (test digits stay for evaluation)",
                "fonts": sorted(p.name for p in fs.installed_fonts()),
                "font_packages": list(fs.FONT_PACKAGES),
                "alphabet": base.alphabet,
                "options": {
                    k: (portable(str(v)) if isinstance(v, Path | str) else v)
                    for k, v in asdict(options).items()
                },
                "run": facts,
                "hardware": f"{platform.machine()}, {os.cpu_count()} CPU cores shared, "
                f"{options.threads} torch threads, no GPU",
                "budget": f"{options.steps} steps or {options.budget_s:.0f} s per run, whichever first "
                "(the recipe allows 45 min per run on 2 CPU cores)",
            },
        }
    )
    card.pop("surgery", None)
    path.with_suffix(".json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    return card


def _version(package: str) -> str:
    import importlib.metadata

    return importlib.metadata.version(package)
