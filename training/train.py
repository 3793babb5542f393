"""Train the three candidates, evaluate them, ship the best as ONNX with its model card and report.

Reads top to bottom: constants, then one function per step, then ``run`` which calls them in order.
Only validation data chooses anything (temperature, model); MNIST test is touched for the report only.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np
import onnxruntime
import tensorflow as tf
import tf2onnx
from tqdm import tqdm

from checkocr.mnist import FILES, load_mnist, mnist_dir, sha256_of
from checkocr.model_card import data_relative
from training import evaluate, report
from training.data import Augmentation, Splits, eval_dataset, make_splits, train_dataset
from training.export import (
    INPUT_NAME,
    OUTPUT_NAME,
    calibrated_function,
    check_parity,
    export_onnx,
    latency_ms,
    onnx_predict,
    onnx_session,
)
from training.models import build_cnn, build_logistic, build_resnet50

log = logging.getLogger("checkocr.train")

MODEL_NAME = "digits"
QUICK_LIMIT = 400
PARITY_IMAGES = 1_000
BATCH_SIZE = 128
CNN_EPOCHS = 30
CNN_LEARNING_RATE = 2e-3
LOGISTIC_EPOCHS = 8
RESNET_BUDGET_S = 900.0
RESNET_FROZEN_SHARE = 0.25  # of the ResNet time budget spent on the head before fine-tuning
KINDS = ("logistic", "cnn", "resnet50")


@dataclass
class TrainOptions:
    data_dir: Path
    out_dir: Path
    quick: bool = False
    seed: int = 20261121
    cnn_epochs: int = CNN_EPOCHS
    logistic_epochs: int = LOGISTIC_EPOCHS
    resnet_budget_s: float = RESNET_BUDGET_S
    resnet_weights: Path | None = None
    batch_size: int = BATCH_SIZE
    kinds: tuple[str, ...] = KINDS
    command: str = field(default_factory=lambda: " ".join(["checkocr", *sys.argv[1:]]))


@dataclass
class Trained:
    kind: str
    model: keras.Model
    history: dict[str, list[float]]
    notes: dict[str, Any]


class ProgressBar(keras.callbacks.Callback):
    """One bar per model over all its batches: epoch, loss, val accuracy and an ETA for the whole fit."""

    def __init__(self, kind: str, total_steps: int):
        super().__init__()
        self.bar = tqdm(
            total=total_steps, desc=kind, unit="batch", mininterval=1 if sys.stderr.isatty() else 30
        )
        self.kind = kind

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)
        if logs and batch % 20 == 0:
            self.bar.set_postfix(loss=f"{logs.get('loss', 0):.4f}", refresh=False)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.bar.set_postfix(
            epoch=epoch + 1, loss=f"{logs.get('loss', 0):.4f}", val_acc=f"{logs.get('val_accuracy', 0):.4f}"
        )
        log.info(
            "%s epoch %d: loss %.4f val_loss %.4f val_accuracy %.4f",
            self.kind,
            epoch + 1,
            logs.get("loss", 0),
            logs.get("val_loss", 0),
            logs.get("val_accuracy", 0),
        )

    def on_train_end(self, logs=None):
        self.bar.close()


class TimeBudget(keras.callbacks.Callback):
    """Stops training once ``deadline`` (time.monotonic) has passed, so a CPU run stays bounded."""

    def __init__(self, deadline: float):
        super().__init__()
        self.deadline = deadline
        self.stopped_early = False

    def on_train_batch_end(self, batch, logs=None):
        if time.monotonic() > self.deadline:
            self.model.stop_training = True
            self.stopped_early = True


def hardware_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = tf.config.list_physical_devices("GPU")
    return f"{cpu}, {len(os.sched_getaffinity(0))} CPU threads" + (
        f", {len(gpus)} GPU" if gpus else ", no GPU"
    )


def compile_for(model: keras.Model, learning_rate: float | keras.optimizers.schedules.LearningRateSchedule):
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


def fit(model, splits: Splits, epochs: int, options: TrainOptions, aug: Augmentation | None, extra=()):
    dataset = train_dataset(splits.x_train, splits.y_train, options.batch_size, options.seed, aug)
    steps = int(np.ceil(len(splits.x_train) / options.batch_size))
    history = model.fit(
        dataset,
        epochs=epochs,
        validation_data=eval_dataset(splits.x_val, splits.y_val),
        verbose=0,
        callbacks=[ProgressBar(model.name, steps * epochs), *extra],
    )
    return {key: [float(v) for v in values] for key, values in history.history.items()}


def train_logistic(splits: Splits, options: TrainOptions) -> Trained:
    model = build_logistic()
    compile_for(model, 1e-3)
    epochs = 1 if options.quick else options.logistic_epochs
    return Trained("logistic", model, fit(model, splits, epochs, options, aug=None), {"epochs": epochs})


def train_cnn(splits: Splits, options: TrainOptions, aug: Augmentation) -> Trained:
    model = build_cnn()
    epochs = 1 if options.quick else options.cnn_epochs
    steps = int(np.ceil(len(splits.x_train) / options.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=CNN_LEARNING_RATE / 10,
        decay_steps=max(1, steps * epochs - steps),
        warmup_target=CNN_LEARNING_RATE,
        warmup_steps=steps,
        alpha=0.01,
    )
    compile_for(model, schedule)
    history = fit(model, splits, epochs, options, aug)
    return Trained("cnn", model, history, {"epochs": epochs, "learning_rate": "cosine, warm-up 1 epoch"})


def resnet_weights_source(options: TrainOptions) -> tuple[Path | str | None, bool]:
    """ImageNet weights from --resnet-weights or the Keras cache; otherwise random init, said loudly."""
    if options.resnet_weights is not None:
        if not options.resnet_weights.is_file():
            raise FileNotFoundError(f"--resnet-weights {options.resnet_weights} does not exist")
        return options.resnet_weights, True
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"
    cached = cache / "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    if cached.is_file():
        return cached, True
    log.warning(
        "ResNet-50: NO IMAGENET WEIGHTS (not in %s and no --resnet-weights); training from random "
        "initialisation, the model card records pretrained: false",
        cache,
    )
    return None, False


def train_resnet50(splits: Splits, options: TrainOptions, aug: Augmentation) -> Trained:
    weights, pretrained = resnet_weights_source(options)
    model, base = build_resnet50(weights)
    budget = 60.0 if options.quick else options.resnet_budget_s
    start = time.monotonic()
    phases: dict[str, Any] = {}
    history: dict[str, list[float]] = {}
    for phase, share, trainable, rate in (
        ("frozen_base", RESNET_FROZEN_SHARE, False, 1e-3),
        ("fine_tune", 1.0, True, 1e-4 if pretrained else 1e-3),
    ):
        base.trainable = trainable
        compile_for(model, rate)
        budget_cb = TimeBudget(start + budget * share)
        epochs = 1 if options.quick else 100  # the time budget ends the phase
        part = fit(model, splits, epochs, options, aug, extra=[budget_cb])
        phases[phase] = {"epochs": len(part.get("loss", [])), "stopped_by_budget": budget_cb.stopped_early}
        for key, values in part.items():
            history.setdefault(key, []).extend(values)
    notes = {"pretrained": pretrained, "budget_s": budget, "input_side": 32, "phases": phases}
    return Trained("resnet50", model, history, notes)


def logits_of(model: keras.Model, images: np.ndarray) -> np.ndarray:
    return model.predict(images, batch_size=512, verbose=0)


def evaluate_candidate(trained: Trained, splits: Splits, out_dir: Path) -> dict[str, Any]:
    """Calibrates on validation, measures on test, exports to ONNX and times it."""
    val_logits = logits_of(trained.model, splits.x_val)
    test_logits = logits_of(trained.model, splits.x_test)
    temperature = evaluate.fit_temperature(val_logits, splits.y_val)
    raw_test = evaluate.calibrated(test_logits, 1.0)
    cal_test = evaluate.calibrated(test_logits, temperature)
    matrix = evaluate.confusion_matrix(cal_test.argmax(1), splits.y_test)
    onnx_path = export_onnx(trained.model, temperature, out_dir / "candidates" / f"{trained.kind}.onnx")
    parity_images = splits.x_test[:PARITY_IMAGES]
    keras_probs = calibrated_function(trained.model, temperature)(tf.constant(parity_images))[
        OUTPUT_NAME
    ].numpy()
    parity = check_parity(keras_probs, onnx_predict(onnx_session(onnx_path), parity_images))
    row = {
        "kind": trained.kind,
        "val_accuracy": evaluate.accuracy(evaluate.calibrated(val_logits, temperature), splits.y_val),
        "test_accuracy": evaluate.accuracy(cal_test, splits.y_test),
        "ece_uncalibrated": evaluate.expected_calibration_error(raw_test, splits.y_test),
        "ece": evaluate.expected_calibration_error(cal_test, splits.y_test),
        "temperature": temperature,
        "parameters": int(trained.model.count_params()),
        "onnx_bytes": onnx_path.stat().st_size,
        "latency_ms": {
            "batch_1": latency_ms(onnx_path, 1),
            "batch_64": latency_ms(onnx_path, 64, repeats=10),
        },
        "parity": parity,
        "notes": trained.notes,
        "chosen": False,
    }
    row["_matrix"] = matrix
    row["_reliability"] = (
        evaluate.reliability_bins(raw_test, splits.y_test),
        evaluate.reliability_bins(cal_test, splits.y_test),
    )
    row["_onnx_path"] = onnx_path
    log.info(
        "%s: val %.4f test %.4f T %.3f ECE %.4f -> %.4f",
        trained.kind,
        row["val_accuracy"],
        row["test_accuracy"],
        temperature,
        row["ece_uncalibrated"],
        row["ece"],
    )
    return row


def choose(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """Highest validation accuracy; a tie goes to fewer parameters (cheaper to serve, less to overfit)."""
    best = sorted(rows, key=lambda r: (-r["val_accuracy"], r["parameters"]))[0]
    tied = [r["kind"] for r in rows if r is not best and r["val_accuracy"] == best["val_accuracy"]]
    reason = f"{best['kind']} has the highest validation accuracy ({best['val_accuracy']:.4f})"
    if tied:
        reason += f"; tied with {', '.join(tied)}, chosen for fewer parameters"
    return best, reason + ". MNIST test accuracy played no part in the choice."


def write_card(rows, best, reason, options, splits, started, aug, histories) -> dict[str, Any]:
    shipped = options.out_dir / f"{MODEL_NAME}.onnx"
    shutil.copyfile(best["_onnx_path"], shipped)
    data_folder = mnist_dir(options.data_dir)
    matrix = best["_matrix"]
    card = {
        "name": MODEL_NAME,
        "version": datetime.now(UTC).strftime("%Y.%m.%d") + ("-quick" if options.quick else ""),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "sha256": sha256_of(shipped),
        "architecture": best["kind"],
        "framework": {
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "tf2onnx": tf2onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "opset": "17",
        },
        "input": {
            "name": INPUT_NAME,
            "shape": ["N", 28, 28, 1],
            "dtype": "float32",
            "layout": "NHWC",
            "range": [0.0, 1.0],
            "polarity": "white ink (1.0) on black (0.0)",
            "normalisation": "segmentation.normalize.to_mnist: longer side 20 px, centre of mass at 14,14",
        },
        "output": {"name": OUTPUT_NAME, "classes": [str(c) for c in range(10)], "calibrated": True},
        "training": {
            # Paths relative to the data folder (CHECKOCR_DATA_DIR): a card names no machine's layout.
            "data": {
                name: {"sha256": FILES[name], "path": data_relative(data_folder / name, options.data_dir)}
                for name in FILES
            },
            "split": {
                "train": len(splits.x_train),
                "validation": len(splits.x_val),
                "test": len(splits.x_test),
                "validation_from": "MNIST train, stratified, seeded",
            },
            "epochs": {r["kind"]: r["notes"].get("epochs", r["notes"].get("phases")) for r in rows},
            "augmentation": aug.as_dict(),
            "seed": options.seed,
            "batch_size": options.batch_size,
            "quick": options.quick,
            "wall_time_s": time.monotonic() - started,
            "hardware": hardware_description(),
            "command": options.command,
            "parity": best["parity"],
        },
        "metrics": {
            "val_accuracy": best["val_accuracy"],
            "test_accuracy": best["test_accuracy"],
            "per_class": evaluate.per_class_precision_recall(matrix),
            "confusion_matrix": matrix.tolist(),
            "ece": best["ece"],
            "ece_uncalibrated": best["ece_uncalibrated"],
            "temperature": best["temperature"],
        },
        "candidates": [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
        "selection": reason,
    }
    for row in card["candidates"]:
        row["chosen"] = row["kind"] == best["kind"]
    (options.out_dir / f"{MODEL_NAME}.json").write_text(json.dumps(card, indent=2) + "\n")
    report_dir = options.out_dir / f"{MODEL_NAME}-report"
    report_dir.mkdir(parents=True, exist_ok=True)
    report.plot_curves(histories, report_dir / "curves.png")
    report.plot_confusion(matrix, report_dir / "confusion.png", f"{best['kind']} on MNIST test")
    report.plot_reliability(*best["_reliability"], report_dir / "reliability.png")
    report.write_markdown(card, report_dir / "README.md")
    return card


def run(options: TrainOptions) -> dict[str, Any]:
    started = time.monotonic()
    keras.utils.set_random_seed(options.seed)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    mnist = load_mnist(options.data_dir)
    splits = make_splits(mnist, options.seed, limit=QUICK_LIMIT if options.quick else None)
    log.info(
        "data: %d train, %d validation, %d test", len(splits.x_train), len(splits.x_val), len(splits.x_test)
    )
    aug = Augmentation()
    trainers = {
        "logistic": lambda: train_logistic(splits, options),
        "cnn": lambda: train_cnn(splits, options, aug),
        "resnet50": lambda: train_resnet50(splits, options, aug),
    }
    rows, histories = [], {}
    for kind in options.kinds:
        trained = trainers[kind]()
        histories[kind] = trained.history
        rows.append(evaluate_candidate(trained, splits, options.out_dir))
    best, reason = choose(rows)
    card = write_card(rows, best, reason, options, splits, started, aug, histories)
    log.info("shipped %s: %s", best["kind"], reason)
    return card
