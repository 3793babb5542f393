"""Builds the shipped field model from PP-OCRv6's small recogniser: output cut to the amount alphabet.

    python -m training.field_model --out onnx_models      # needs the train extra (onnx, rapidocr)

It writes ``field-base.onnx``: the zero-shot model that ``checkocr train-field`` starts from (the
shipped ``field.onnx`` is that fine-tune, ``training/field_finetune.py``).

The upstream model (inside the pinned ``rapidocr`` wheel, Apache-2.0, sha256 checked) recognises
18,709 characters. An amount needs 19 classes, so the final projection (120 x 18,710, 2.2 M of the
model's 5.3 M parameters) is sliced to the CTC blank plus ``AMOUNT_ALPHABET``. Softmax over the kept
logits equals the full model's probabilities masked to those classes and renormalised, so the sliced
model's per-frame argmax is the masked full model's: checked here frame by frame on real fields. Two
2x2 convolutions and one 2x2 max pool with ``auto_pad=SAME_UPPER`` get the same padding written out
(stride 1, so the padding is one column and row at the end, whatever the input size), which
converters such as onnx2torch need to make the model trainable, and which onnxruntime computes
identically (a max pool ignores padded cells).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from checkocr.ctc import best_path
from checkocr.field_model import BLANK_NAME, FieldModel
from checkocr.imageio import read_file_grey
from checkocr.labels import read_labels
from checkocr.mnist import sha256_of

UPSTREAM_PACKAGE = "rapidocr"
UPSTREAM_VERSION = "3.10.0"
UPSTREAM_FILE = "models/PP-OCRv6_rec_small.onnx"
UPSTREAM_SHA256 = "6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884"
UPSTREAM_NOTICE = "MODEL_LICENSES.md"
# The marks that occur in written amounts: digits; grouping and decimal marks; the terminators of
# Latin American and Indian cheques (".-", "-", "=", "/-") and US fractions ("56/100"); the "**"
# that guards a US amount; "$" and the printed rupee sign of Indian cheques.
AMOUNT_ALPHABET = "0123456789.,-/=*$₹"
NAME = "field-base"  # the zero-shot model; the shipped field.onnx is fine-tuned from it
NOTICE = "field-NOTICE.md"  # one upstream notice for the base and its fine-tunes
INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
HEIGHT = 48
MIN_WIDTH = 320  # the upstream reader pads lines to at least 320 columns; narrower reads worse
WIDTH_MULTIPLE = 8  # one output frame per 8 input columns
MAX_WIDTH = 1280
MARGIN_FRACTION = 0.1  # ORAND dev, best path: 0.0 85.5%, 0.1 86.4%, 0.2 85.3% (800 fields)
PAD_VALUE = 0.0  # upstream pads with zeros after normalisation (mid grey)
MAX_PIXELS = 40_000_000


def upstream_model() -> Path:
    """The recogniser inside the installed, pinned rapidocr wheel, checked against its sha256."""
    try:
        version = importlib.metadata.version(UPSTREAM_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(
            f"{UPSTREAM_PACKAGE}=={UPSTREAM_VERSION} is needed: pip install '.[train]'"
        ) from None
    if version != UPSTREAM_VERSION:
        raise SystemExit(
            f"{UPSTREAM_PACKAGE} {version} is installed; the field model is built from {UPSTREAM_VERSION}"
        )
    path = Path(str(importlib.resources.files(UPSTREAM_PACKAGE) / UPSTREAM_FILE))
    digest = sha256_of(path)
    if digest != UPSTREAM_SHA256:
        raise SystemExit(f"{path} has sha256 {digest}, expected {UPSTREAM_SHA256}")
    return path


def upstream_notice() -> Path:
    dist = importlib.metadata.distribution(UPSTREAM_PACKAGE)
    for file in dist.files or []:
        if file.name == UPSTREAM_NOTICE:
            return Path(str(file.locate()))
    raise SystemExit(f"{UPSTREAM_PACKAGE} has no {UPSTREAM_NOTICE}")


def upstream_characters(model: onnx.ModelProto) -> list[str]:
    """Output classes of the upstream model: blank, its dictionary, and a trailing space."""
    text = next(p.value for p in model.metadata_props if p.key == "character")
    return [BLANK_NAME, *text.split("\n"), " "]


def explicit_same_padding(model: onnx.ModelProto) -> int:
    """Rewrites stride-1 ``auto_pad=SAME_UPPER`` convolutions and max pools to explicit ``pads``;
    returns how many (onnxruntime ignores a max pool's padded cells either way)."""
    rewritten = 0
    for node in model.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type not in ("Conv", "MaxPool") or attrs.get("auto_pad") != b"SAME_UPPER":
            continue
        if any(s != 1 for s in attrs.get("strides", [1, 1])):
            raise ValueError(f"{node.name}: SAME_UPPER with stride > 1 depends on the input size")
        dilations = attrs.get("dilations", [1, 1])
        totals = [(k - 1) * d for k, d in zip(attrs["kernel_shape"], dilations, strict=True)]
        begins, ends = [t // 2 for t in totals], [t - t // 2 for t in totals]
        kept = [a for a in node.attribute if a.name != "auto_pad"]
        del node.attribute[:]
        node.attribute.extend([*kept, helper.make_attribute("pads", begins + ends)])
        rewritten += 1
    return rewritten


def slice_head(model: onnx.ModelProto, keep: list[int]) -> int:
    """Keeps only the ``keep`` columns of the final projection; returns the parameters removed."""
    graph = model.graph
    softmax = next(n for n in reversed(graph.node) if n.op_type == "Softmax")
    producers = {out: n for n in graph.node for out in n.output}
    add = producers[softmax.input[0]]
    while add.op_type == "Identity":
        add = producers[add.input[0]]
    matmul = producers[add.input[0]]
    if add.op_type != "Add" or matmul.op_type != "MatMul":
        raise ValueError(f"unexpected head: {matmul.op_type} -> {add.op_type} -> Softmax")
    inits = {i.name: i for i in graph.initializer}
    weight, bias = inits[matmul.input[1]], inits[add.input[1]]
    w, b = numpy_helper.to_array(weight), numpy_helper.to_array(bias)
    weight.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(w[:, keep]), weight.name))
    bias.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(b[keep]), bias.name))
    return int(w.size + b.size - weight_size(weight) - weight_size(bias))


def weight_size(tensor: onnx.TensorProto) -> int:
    return int(np.prod(tensor.dims))


def rename_io(model: onnx.ModelProto, classes: int) -> None:
    """The contract's names, and the class dimension written out."""
    graph = model.graph
    renames = {graph.input[0].name: INPUT_NAME, graph.output[0].name: OUTPUT_NAME}
    for node in graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    graph.input[0].name, graph.output[0].name = INPUT_NAME, OUTPUT_NAME
    dims = graph.input[0].type.tensor_type.shape.dim
    dims[0].dim_param, dims[3].dim_param = "N", "W"
    out = graph.output[0].type.tensor_type.shape.dim
    out[0].dim_param, out[1].dim_param = "N", "T"
    out[2].dim_value = classes
    del graph.value_info[:]  # stale shapes (18,710 classes) of the head; onnxruntime infers them again
    del model.metadata_props[:]
    model.metadata_props.append(onnx.StringStringEntryProto(key="alphabet", value=AMOUNT_ALPHABET))


def build(out_dir: Path) -> tuple[Path, dict[str, object]]:
    """Writes ``<out>/field.onnx`` and returns its path and the facts of the surgery."""
    source = upstream_model()
    model = onnx.load(str(source))
    characters = upstream_characters(model)
    keep = [0] + [characters.index(ch) for ch in AMOUNT_ALPHABET]
    parameters = sum(weight_size(i) for i in model.graph.initializer)
    convs = explicit_same_padding(model)
    removed = slice_head(model, keep)
    rename_io(model, len(keep))
    onnx.checker.check_model(model)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{NAME}.onnx"
    onnx.save(model, str(path))
    shutil.copyfile(upstream_notice(), out_dir / NOTICE)
    facts = {
        "upstream_classes": len(characters),
        "kept_class_indices": keep,
        "parameters_upstream": parameters,
        "parameters_removed": removed,
        "parameters": parameters - removed,
        "same_upper_pads_rewritten": convs,
    }
    return path, facts


def write_card(path: Path, facts: dict[str, object], metrics: dict[str, object]) -> dict[str, object]:
    card = {
        "name": NAME,
        "version": f"ppocrv6-small-amount-{datetime.now(UTC):%Y.%m.%d}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": sha256_of(path),
        "framework": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "opset": "11"},
        "source": {
            "model": "PP-OCRv6_rec_small (PaddleOCR), recogniser only",
            "package": f"{UPSTREAM_PACKAGE}=={UPSTREAM_VERSION} (PyPI wheel)",
            "file": UPSTREAM_FILE,
            "sha256": UPSTREAM_SHA256,
            "licence": "Apache-2.0 (weights: Baidu / PaddleOCR authors; conversion: RapidOCR authors)",
            "notice": NOTICE,
            "changes": "head sliced to blank + amount alphabet; SAME_UPPER pads (2 Conv, 1 MaxPool) explicit",
            "command": "python -m training.field_model --out onnx_models",
        },
        "input": {
            "name": INPUT_NAME,
            "shape": ["N", 3, HEIGHT, "W"],
            "dtype": "float32",
            "layout": "NCHW",
            "height": HEIGHT,
            "min_width": MIN_WIDTH,
            "width_multiple": WIDTH_MULTIPLE,
            "max_width": MAX_WIDTH,
            "margin_fraction": MARGIN_FRACTION,
            "normalisation": "grey field (dark ink on light paper) in all 3 channels, x / 127.5 - 1",
            "pad_value": PAD_VALUE,
        },
        "output": {"name": OUTPUT_NAME, "classes": [BLANK_NAME, *AMOUNT_ALPHABET]},
        "surgery": facts,
        "metrics": metrics,
    }
    path.with_suffix(".json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    return card


def full_model_frames(session: ort.InferenceSession, batch: np.ndarray, keep: list[int]) -> np.ndarray:
    """The upstream model's frame probabilities masked to the kept classes and renormalised."""
    probs = session.run(None, {session.get_inputs()[0].name: batch})[0][0][:, keep]
    return probs / probs.sum(axis=1, keepdims=True)


def session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def parity(path: Path, fields: list[np.ndarray], keep: list[int]) -> dict[str, object]:
    """Sliced vs masked full model on real fields: frame argmax agreement, probability difference,
    and p50 latency of each on one thread."""
    sliced = FieldModel(path, threads=1)
    full = session(upstream_model())
    frames = agree = 0
    worst = 0.0
    times: dict[str, list[float]] = {"full": [], "sliced": []}
    for grey in fields:
        batch, _, _ = sliced.prepare(grey)
        t = time.perf_counter()
        reference = full_model_frames(full, batch, keep)
        times["full"].append(time.perf_counter() - t)
        t = time.perf_counter()
        probs = sliced.session.run(None, {INPUT_NAME: batch})[0][0]
        times["sliced"].append(time.perf_counter() - t)
        frames += len(probs)
        agree += int((probs.argmax(1) == reference.argmax(1)).sum())
        worst = max(worst, float(np.abs(probs - reference).max()))
    return {
        "fields": len(fields),
        "frames": frames,
        "argmax_agreement": agree / max(1, frames),
        "max_abs_diff": worst,
        "p50_ms_full": round(1000 * float(np.median(times["full"])), 2),
        "p50_ms_sliced": round(1000 * float(np.median(times["sliced"])), 2),
    }


def load_fields(folder: Path) -> list[tuple[str, np.ndarray, str]]:
    """(name, grey crop, digit label) of a ``labels.tsv`` + ``images/`` folder."""
    fields = []
    for name, label in read_labels(folder):
        grey = read_file_grey(folder / "images" / name, MAX_PIXELS)
        fields.append((name, grey, "".join(ch for ch in label if ch.isdigit())))
    return fields


def zero_shot_exact(path: Path, fields: list[tuple[str, np.ndarray, str]]) -> dict[str, object]:
    """Share of fields whose best-path reading, digits only, equals the label."""
    model = FieldModel(path, threads=1)
    right = 0
    for _name, grey, label in fields:
        frames = model.frames(grey)
        text = "".join(frames.alphabet[c.label - 1] for c in best_path(frames.probs))
        right += "".join(ch for ch in text if ch.isdigit()) == label
    return {"fields": len(fields), "exact_digits": right, "exact_rate": round(right / max(1, len(fields)), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("onnx_models"))
    parser.add_argument("--fields", type=Path, help="folder of labels.tsv + images/ for parity and metrics")
    args = parser.parse_args()
    path, facts = build(args.out)
    write_card(path, facts, {})  # a card first, so the model loads for the checks below
    metrics: dict[str, object] = {}
    if args.fields:
        fields = load_fields(args.fields)
        keep: list[int] = facts["kept_class_indices"]  # type: ignore[assignment]
        metrics["parity"] = {"set": args.fields.name, **parity(path, [grey for _, grey, _ in fields], keep)}
        metrics["best_path_exact"] = {"set": args.fields.name, **zero_shot_exact(path, fields)}
    card = write_card(path, facts, metrics)
    print(json.dumps({k: card[k] for k in ("sha256", "surgery", "metrics")}, indent=2))


if __name__ == "__main__":
    main()
