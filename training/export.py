"""ONNX export with the calibrated softmax baked in, parity against Keras, and CPU latency.

tf2onnx.convert.from_keras fails on some Keras 3 models, so the graph is traced from a tf.function
(which also lets us name the input and output as the digit-image contract says).
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np
import onnx
import onnxruntime as ort
import tensorflow as tf
import tf2onnx

INPUT_NAME = "digits"
OUTPUT_NAME = "probabilities"
OPSET = 17
PARITY_TOLERANCE = 1e-4
SIGNATURE = [tf.TensorSpec([None, 28, 28, 1], tf.float32, name=INPUT_NAME)]


def calibrated_function(model: keras.Model, temperature: float):
    @tf.function(input_signature=SIGNATURE)
    def serve(digits):
        logits = model(digits, training=False)
        return {OUTPUT_NAME: tf.nn.softmax(logits / temperature, axis=-1)}

    return serve


def export_onnx(model: keras.Model, temperature: float, path: Path) -> Path:
    """Writes the inference-only graph: digits [N,28,28,1] -> probabilities [N,10]."""
    path.parent.mkdir(parents=True, exist_ok=True)
    proto, _ = tf2onnx.convert.from_function(
        calibrated_function(model, temperature), input_signature=SIGNATURE, opset=OPSET
    )
    _rename_io(proto)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(path))
    return path


def _rename_io(proto: onnx.ModelProto) -> None:
    """tf2onnx names tensors after the trace (``digits:0`` ...); give them the contract's names."""
    renames = {proto.graph.input[0].name: INPUT_NAME, proto.graph.output[0].name: OUTPUT_NAME}
    for node in proto.graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
        node.output[:] = [renames.get(name, name) for name in node.output]
    proto.graph.input[0].name = INPUT_NAME
    proto.graph.output[0].name = OUTPUT_NAME


def onnx_session(path: Path, threads: int = 1) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_predict(session: ort.InferenceSession, images: np.ndarray, batch: int = 512) -> np.ndarray:
    parts = [
        session.run([OUTPUT_NAME], {INPUT_NAME: images[start : start + batch]})[0]
        for start in range(0, len(images), batch)
    ]
    return np.concatenate(parts) if parts else np.zeros((0, 10), np.float32)


def check_parity(keras_probabilities: np.ndarray, onnx_probabilities: np.ndarray) -> dict[str, float]:
    """Same argmax everywhere and max |difference| below tolerance, else the export is refused."""
    max_abs = float(np.abs(keras_probabilities - onnx_probabilities).max())
    argmax_agree = float((keras_probabilities.argmax(1) == onnx_probabilities.argmax(1)).mean())
    if argmax_agree < 1.0 or max_abs >= PARITY_TOLERANCE:
        raise RuntimeError(
            f"ONNX parity failed: argmax agreement {argmax_agree:.4f}, max |diff| {max_abs:.2e}"
        )
    return {"images": len(keras_probabilities), "max_abs_diff": max_abs, "argmax_agreement": argmax_agree}


def latency_ms(path: Path, batch: int, repeats: int = 30, threads: int = 1) -> float:
    """Median wall time of one onnxruntime call on ``batch`` digits, one intra-op thread."""
    session = onnx_session(path, threads)
    images = np.random.default_rng(0).random((batch, 28, 28, 1), dtype=np.float32)
    for _ in range(3):
        session.run([OUTPUT_NAME], {INPUT_NAME: images})
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run([OUTPUT_NAME], {INPUT_NAME: images})
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))
