"""FLOPs of an ONNX graph, counted from the graph itself after shape inference.

The physical-limit comparison (achieved FLOP/s over the machine's peak) needs the work per digit, and
the only honest source is the exported graph: counting from the Keras summary would miss what tf2onnx
added or folded. Conventions (one multiply-add is 2 FLOPs):

- Conv: 2 * N * Cout * Hout * Wout * (Cin / group) * kh * kw, plus one add per output when it has a bias.
- MatMul: 2 * (product of the output shape) * K.  Gemm: the same, plus one add per output for C.
- Elementwise arithmetic and activations (Add, Sub, Mul, Div, Relu, Sigmoid, ...): 1 FLOP per output
  element; BatchNormalization 2 (scale and shift); Softmax 3 (exp, running sum, divide; the max
  subtraction for stability is not counted).
- Pooling: kh * kw per output element.
- Layout and shape ops (Reshape, Transpose, Flatten, Squeeze, Concat, ...) and quantise/dequantise:
  0, they move data but do no arithmetic.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import shape_inference

ELEMENTWISE_ONE = frozenset(
    {
        "Add",
        "Sub",
        "Mul",
        "Div",
        "Relu",
        "Sigmoid",
        "Tanh",
        "Clip",
        "LeakyRelu",
        "Max",
        "Min",
        "Sqrt",
        "Exp",
        "Log",
        "Abs",
        "Neg",
        "Erf",
        "PRelu",
        "HardSigmoid",
        "Pow",
        "Reciprocal",
    }
)
POOLS = frozenset({"MaxPool", "AveragePool"})
GLOBAL_POOLS = frozenset({"GlobalAveragePool", "GlobalMaxPool"})


class FlopCountError(ValueError):
    """The graph lacks a shape the count needs (inference could not resolve it)."""


@dataclass(frozen=True)
class NodeFlops:
    name: str
    op_type: str
    flops: int
    macs: int  # multiply-adds only (Conv, MatMul, Gemm); 0 for everything else


@dataclass(frozen=True)
class FlopCount:
    batch: int
    nodes: tuple[NodeFlops, ...]

    @property
    def total(self) -> int:
        return sum(n.flops for n in self.nodes)

    @property
    def per_item(self) -> float:
        return self.total / self.batch

    @property
    def macs_per_item(self) -> float:
        return sum(n.macs for n in self.nodes) / self.batch

    def by_op(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for n in self.nodes:
            out[n.op_type] = out.get(n.op_type, 0) + n.flops
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def fix_batch(model: onnx.ModelProto, batch: int) -> onnx.ModelProto:
    """A copy whose symbolic leading input dimension is ``batch``, so every shape becomes concrete."""
    fixed = copy.deepcopy(model)
    initializers = {i.name for i in fixed.graph.initializer}
    for graph_input in fixed.graph.input:
        if graph_input.name in initializers:
            continue
        dims = graph_input.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].ClearField("dim_param")
            dims[0].dim_value = batch
    return fixed


def known_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...]]:
    """Tensor name -> concrete shape, from inputs, outputs, value_info and initializers."""
    shapes: dict[str, tuple[int, ...]] = {}
    graph = model.graph
    for info in [*graph.input, *graph.output, *graph.value_info]:
        tensor_type = info.type.tensor_type
        if not tensor_type.HasField("shape"):  # rank unknown: not the same as a scalar
            continue
        dims = tensor_type.shape.dim
        if all(d.HasField("dim_value") for d in dims):
            shapes[info.name] = tuple(int(d.dim_value) for d in dims)
    for init in graph.initializer:
        shapes[init.name] = tuple(int(d) for d in init.dims)
    return shapes


def _attr(node: onnx.NodeProto, name: str, default: object) -> object:
    for attribute in node.attribute:
        if attribute.name == name:
            return onnx.helper.get_attribute_value(attribute)
    return default


def _shape(shapes: dict[str, tuple[int, ...]], name: str, node: onnx.NodeProto) -> tuple[int, ...]:
    if name not in shapes:
        raise FlopCountError(f"no inferred shape for '{name}' ({node.op_type} node '{node.name}')")
    return shapes[name]


def node_flops(node: onnx.NodeProto, shapes: dict[str, tuple[int, ...]]) -> NodeFlops:
    """FLOPs of one node under the module's conventions."""
    op = node.op_type
    macs = 0
    flops = 0
    if op == "Conv":
        out = _shape(shapes, node.output[0], node)
        weight = _shape(shapes, node.input[1], node)  # [Cout, Cin/group, kh, kw]
        macs = int(np.prod(out)) * int(np.prod(weight[1:]))
        flops = 2 * macs + (int(np.prod(out)) if len(node.input) > 2 and node.input[2] else 0)
    elif op in ("MatMul", "Gemm"):
        out = _shape(shapes, node.output[0], node)
        a = _shape(shapes, node.input[0], node)
        k = a[-2] if op == "Gemm" and _attr(node, "transA", 0) else a[-1]
        macs = int(np.prod(out)) * int(k)
        flops = 2 * macs + (int(np.prod(out)) if op == "Gemm" and len(node.input) > 2 else 0)
    elif op in ELEMENTWISE_ONE:
        flops = int(np.prod(_shape(shapes, node.output[0], node)))
    elif op == "BatchNormalization":
        flops = 2 * int(np.prod(_shape(shapes, node.output[0], node)))
    elif op == "Softmax":
        flops = 3 * int(np.prod(_shape(shapes, node.output[0], node)))
    elif op in POOLS:
        kernel = _attr(node, "kernel_shape", [1])
        flops = int(np.prod(_shape(shapes, node.output[0], node))) * int(np.prod(kernel))
    elif op in GLOBAL_POOLS:
        flops = int(np.prod(_shape(shapes, node.input[0], node)))
    return NodeFlops(node.name or op, op, flops, macs)


def count_flops(model: onnx.ModelProto, batch: int = 1) -> FlopCount:
    """FLOPs of one forward pass at ``batch`` items, node by node."""
    inferred = shape_inference.infer_shapes(fix_batch(model, batch), strict_mode=False, data_prop=True)
    shapes = known_shapes(inferred)
    return FlopCount(batch, tuple(node_flops(node, shapes) for node in inferred.graph.node))


def op_counts(model: onnx.ModelProto) -> dict[str, int]:
    """How many nodes of each op type a graph holds (Transposes and layout reorders show up here)."""
    counts: dict[str, int] = {}
    for node in model.graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def format_flops(value: float, units: Sequence[str] = ("", "k", "M", "G", "T")) -> str:
    for unit in units:
        if abs(value) < 1000 or unit == units[-1]:
            return f"{value:.3g} {unit}FLOP".replace("  ", " ")
        value /= 1000
    return f"{value:.3g}"
