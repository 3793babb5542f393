"""Service test helpers: a tiny but real ONNX digit model with a matching card, and test images.

The tiny model needs no training and no dataset, so every service test runs on a fresh checkout: it is
a Flatten+MatMul+Softmax graph whose class k responds to ink in image rows 4+2k and 5+2k, which makes
its answers predictable enough to assert ("ink in band 7 -> '7'").
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

API_KEY = "test-key-0123456789"


def band_weights() -> np.ndarray:
    weights = np.zeros((28, 28, 10), dtype=np.float32)
    for k in range(10):
        weights[4 + 2 * k : 6 + 2 * k, :, k] = 1.0
    return weights.reshape(784, 10)


def band_digit(k: int) -> np.ndarray:
    """A 28x28 image the tiny model classifies as ``k`` with probability ~1."""
    image = np.zeros((28, 28), dtype=np.float32)
    image[4 + 2 * k : 6 + 2 * k, 4:24] = 1.0
    return image


def write_tiny_model(folder: Path, name: str = "digits") -> Path:
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["digits"], ["flat"], axis=1),
            helper.make_node("MatMul", ["flat", "weights"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "tiny_digits",
        [helper.make_tensor_value_info("digits", TensorProto.FLOAT, ["N", 28, 28, 1])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(band_weights(), "weights")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = folder / f"{name}.onnx"
    path.write_bytes(model.SerializeToString())
    card = {
        "name": name,
        "version": "0.0.1-test",
        "created": "2026-01-01T00:00:00+00:00",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "framework": {"onnx": onnx.__version__},
        "input": {
            "name": "digits",
            "shape": ["N", 28, 28, 1],
            "dtype": "float32",
            "layout": "NHWC",
            "range": [0.0, 1.0],
            "polarity": "white ink (1.0) on black (0.0)",
        },
        "output": {"name": "probabilities", "classes": [str(d) for d in range(10)]},
        "training": {"note": "hand-set band weights for service tests"},
        "metrics": {
            "val_accuracy": 0.0,
            "test_accuracy": 0.0,
            "per_class": {},
            "ece": 0.0,
            "ece_uncalibrated": 0.0,
            "temperature": 1.0,
        },
        "candidates": [],
        "selection": "test fixture",
    }
    path.with_suffix(".json").write_text(json.dumps(card))
    return path


def field_image(text: str = "123.45", scale: float = 2.0) -> np.ndarray:
    """A light amount-field image with dark digits drawn by OpenCV (uint8, 255 paper)."""
    width = int(60 + 34 * scale * len(text))
    image = np.full((int(50 * scale) + 40, width), 245, dtype=np.uint8)
    cv2.putText(image, text, (20, int(40 * scale) + 10), cv2.FONT_HERSHEY_SIMPLEX, scale, 20, int(3 * scale))
    return image


def encode(image: np.ndarray, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, fmt, **options)
    return buffer.getvalue()
