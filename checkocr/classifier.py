"""The digit model at serving time: onnxruntime only, verified against its card before first use."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from checkocr.model_card import ModelCard, ModelError, load_card
from checkocr.schemas import ModelInfo


class DigitClassifier:
    """One ONNX session with a fixed thread count; thread-safe for concurrent ``predict`` calls."""

    def __init__(self, model_path: Path, threads: int = 1):
        self.card: ModelCard = load_card(model_path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for corrupt graphs
            raise ModelError(f"{model_path}: onnxruntime cannot load it: {exc}") from exc
        self.input_name = self.card.input.name
        self.output_name = self.card.output.name
        names = {i.name for i in self.session.get_inputs()}
        if self.input_name not in names:
            raise ModelError(
                f"{model_path}: card input '{self.input_name}' is not in the graph inputs {names}"
            )
        self.info = ModelInfo(name=self.card.name, version=self.card.version, sha256=self.card.sha256)

    def predict(self, digits: np.ndarray) -> np.ndarray:
        """[N, 28, 28, 1] float32 in [0, 1] -> [N, 10] calibrated probabilities."""
        if digits.ndim != 4 or digits.shape[1:] != (28, 28, 1):
            raise ValueError(f"digits must have shape [N, 28, 28, 1], got {list(digits.shape)}")
        if len(digits) == 0:
            return np.zeros((0, 10), dtype=np.float32)
        batch = np.ascontiguousarray(digits, dtype=np.float32)
        return self.session.run([self.output_name], {self.input_name: batch})[0]

    def warm_up(self) -> None:
        """One inference so the first real request does not pay for graph initialisation."""
        self.predict(np.zeros((1, 28, 28, 1), dtype=np.float32))
