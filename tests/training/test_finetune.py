"""Fine-tuning on real fields: the Keras rebuild of the shipped ONNX, harvesting labelled digits, the
labels file, and a quick end-to-end run whose card belongs to its model."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from checkocr.classifier import DigitClassifier
from checkocr.mnist import load_split
from checkocr.model_card import load_card
from checkocr.reader import Reader
from checkocr.synth import MnistTestPool, generate_field
from tests.cli import run_checkocr
from training.finetune import (
    check_rebuild,
    harvest_fields,
    read_field_labels,
    rebuild_cnn,
    refuse_fine_tuned_base,
)

FIELDS = 8


@pytest.fixture(scope="module")
def field_folder(tmp_path_factory, mnist_data_dir: Path, model_path: Path) -> tuple[Path, list[str]]:
    """Synthetic amount boxes (cut tight, like ORAND's fields) from MNIST test digits: labels right but
    for the last, which has digits too many (a field the harvest must leave out, whatever it reads)."""
    folder = tmp_path_factory.mktemp("fields")
    (folder / "images").mkdir()
    images, labels = load_split(mnist_data_dir / "mnist", "t10k")
    pool = MnistTestPool(images, labels, source="mnist-test")
    rng = np.random.default_rng(7)
    truths, lines = [], []
    for index in range(FIELDS):
        grey, truth = generate_field(rng, pool)
        x, y, width, height = truth["field_bbox"]
        digits = "".join(
            g["char"] for g in sorted(truth["glyphs"], key=lambda g: g["bbox"][0]) if g["kind"] == "digit"
        )
        name = f"field_{index}.png"
        cv2.imwrite(str(folder / "images" / name), grey[y : y + height, x : x + width])
        label = digits if index < FIELDS - 1 else digits + "0" * 12
        lines.append(f"{name}\t{label}")
        truths.append(label)
    (folder / "labels.tsv").write_text("\n".join(lines) + "\n")
    return folder, truths


def test_rebuilt_keras_cnn_gives_the_shipped_probabilities(model_path: Path) -> None:
    model, temperature = rebuild_cnn(model_path)
    rng = np.random.default_rng(0)
    strokes = np.zeros((16, 28, 28), np.float32)
    for image in strokes:  # a few random strokes each: inputs the model has opinions about
        for _ in range(3):
            x0, y0, x1, y1 = rng.integers(4, 24, 4)
            cv2.line(image, (int(x0), int(y0)), (int(x1), int(y1)), 1.0, 2)
    assert check_rebuild(model, temperature, model_path, strokes[..., None]) < 1e-5
    assert temperature == pytest.approx(load_card(model_path).metrics.temperature, rel=1e-5)


def test_rebuild_refuses_a_graph_that_is_not_the_cnn(tmp_path: Path) -> None:
    weights = helper.make_tensor("w", TensorProto.FLOAT, [784, 10], np.zeros(7840, np.float32))
    graph = helper.make_graph(
        [
            helper.make_node("Reshape", ["digits", "shape"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["probabilities"]),
        ],
        "logistic",
        [helper.make_tensor_value_info("digits", TensorProto.FLOAT, ["N", 28, 28, 1])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        [weights, helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 784])],
    )
    path = tmp_path / "logistic.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(ValueError, match="not the CNN"):
        rebuild_cnn(path)


def test_harvest_pairs_digits_with_labels_and_leaves_out_miscounted_fields(field_folder, model_path) -> None:
    folder, labels = field_folder
    reader = Reader(DigitClassifier(model_path))
    harvest = harvest_fields(reader, folder)
    assert harvest.fields_seen == FIELDS
    assert FIELDS - 1 not in set(harvest.groups.tolist())  # the miscounted field gave nothing
    assert harvest.fields_used >= FIELDS // 2  # the reader counts most clean synthetic fields right
    expected = "".join(labels[g] for g in sorted(set(harvest.groups.tolist())))
    assert "".join(map(str, harvest.labels)) == expected
    assert harvest.images.shape == (len(expected), 28, 28) and harvest.images.dtype == np.uint8
    # In order: the shipped model agrees with the paired label for nearly every harvested digit.
    predicted = DigitClassifier(model_path).predict(harvest.images[..., None] / np.float32(255.0)).argmax(1)
    assert (predicted == harvest.labels).mean() >= 0.9


def test_a_base_already_fine_tuned_on_the_same_fields_is_refused(tmp_path: Path) -> None:
    """Its held-out folds would be in-sample: the gain it reports would be made up."""
    base = tmp_path / "digits.onnx"
    card = {"training": {"finetune": {"fields": [{"folder": "/data/orand-car-a-dev"}]}}}
    with pytest.raises(ValueError, match="already fine-tuned on orand-car-a-dev"):
        refuse_fine_tuned_base(base, card, [Path("/elsewhere/orand-car-a-dev")])
    refuse_fine_tuned_base(base, card, [Path("/data/other-fields")])
    refuse_fine_tuned_base(base, {"training": {}}, [Path("/data/orand-car-a-dev")])


@pytest.mark.parametrize("line", ["a.png\t12a", "a.png", "a.png\t"])
def test_malformed_labels_line_is_named(tmp_path: Path, line: str) -> None:
    (tmp_path / "labels.tsv").write_text(f"ok.png\t123\n{line}\n")
    with pytest.raises(ValueError, match=r"labels.tsv:2"):
        read_field_labels(tmp_path)


def test_cli_refuses_a_folder_without_labels(tmp_path: Path) -> None:
    result = run_checkocr("finetune", "--fields", str(tmp_path), "--quick")
    assert result.returncode == 2
    assert "not a labelled field folder" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_quick_finetune_ships_a_model_that_matches_its_card(
    tmp_path: Path, field_folder, mnist_data_dir: Path, model_path: Path
) -> None:
    folder, _labels = field_folder
    out = tmp_path / "ft"
    command = ["finetune", "--quick", "--no-cross-validate", "--epochs", "1"]
    command += ["--fields", str(folder), "--out", str(out), "--data-dir", str(mnist_data_dir)]
    command += ["--base", str(model_path)]
    result = run_checkocr(*command, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    classifier = DigitClassifier(out / "digits.onnx")  # refuses a card whose sha256 does not match
    card = json.loads((out / "digits.json").read_text())
    finetune = card["training"]["finetune"]
    assert finetune["base_sha256"] == load_card(model_path).sha256
    assert finetune["fields"][0]["digits"] > 0 and finetune["synthetic"]["checks"] == 20
    assert finetune["parity"]["argmax_agreement"] == 1.0
    assert card["version"].endswith("-ft-quick") and classifier.card.metrics.test_accuracy > 0.9
