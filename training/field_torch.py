"""The field recogniser as a trainable PyTorch module, and back to ONNX with a parity check.

onnx2torch converts ``onnx_models/field-base.onnx`` once its SAME_UPPER pads are explicit
(``training/field_model.py``); the conversion is checked against onnxruntime on real fields, and the
fine-tuned module is exported to ONNX and checked again (``training/field_finetune.py``).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see training/field_finetune.py

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx2torch import convert
from torch import nn


def trainable(onnx_path: Path) -> nn.Module:
    """The ONNX recogniser as a PyTorch module that returns logits [N, T, C] (its final softmax cut).

    onnx2torch keeps ONNX initializers that are not Conv weights (the biases added after each Conv,
    every MatMul weight and bias, the head, layer-norm scales) as buffers: the float ones with more
    than one element become parameters, scalars (epsilons, exponents) stay constants.
    """
    module = convert(onnx.load(str(onnx_path)))
    graph = module.graph
    output = next(n for n in graph.nodes if n.op == "output")
    node = output.args[0]
    while node.op == "call_module" and "Softmax" not in str(node.target):
        node = node.args[0]  # through Identity
    if "Softmax" not in str(node.target):
        raise ValueError(f"{onnx_path}: the output is not a softmax")
    node.replace_all_uses_with(node.args[0])
    graph.erase_node(node)
    graph.lint()
    module.recompile()
    container = module.initializers
    for name, buffer in list(container.named_buffers(recurse=False)):
        if buffer.is_floating_point() and buffer.numel() > 1:
            delattr(container, name)
            container.register_parameter(name, nn.Parameter(buffer.clone()))
    return module


class Recogniser(nn.Module):
    """Logits module + softmax: the serving contract (probabilities [N, T, C])."""

    def __init__(self, logits: nn.Module) -> None:
        super().__init__()
        self.logits = logits

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(image), dim=-1)


def train_mode(model: nn.Module) -> None:
    """Training mode with BatchNorm frozen (running statistics from pretraining; batches are small)."""
    model.train()
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()


def export(model: nn.Module, path: Path) -> None:
    wrapper = Recogniser(copy.deepcopy(model)).eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            wrapper,
            (torch.zeros(1, 3, 48, 320),),
            str(path),
            input_names=["image"],
            output_names=["probabilities"],
            dynamic_axes={"image": {0: "N", 3: "W"}, "probabilities": {0: "N", 1: "T"}},
            opset_version=17,
            dynamo=False,
        )


def torch_probs(model: nn.Module, batch: np.ndarray) -> np.ndarray:
    model.eval()
    with torch.no_grad():
        return torch.softmax(model(torch.from_numpy(batch)), dim=-1).numpy()


def parity(model: nn.Module, onnx_path: Path, prepared: list[np.ndarray]) -> dict[str, float | int]:
    """Max |torch - onnxruntime| over the frame probabilities of real fields, and argmax agreement."""
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    worst, frames, agree = 0.0, 0, 0
    for batch in prepared:
        ours = torch_probs(model, batch)
        theirs = session.run(None, {name: batch})[0]
        worst = max(worst, float(np.abs(ours - theirs).max()))
        frames += ours.shape[0] * ours.shape[1]
        agree += int((ours.argmax(-1) == theirs.argmax(-1)).sum())
    return {"fields": len(prepared), "max_abs_diff": worst, "argmax_agreement": agree / max(1, frames)}


# --- reading ---------------------------------------------------------------------------------------
