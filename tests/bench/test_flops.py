"""FLOP counting on small hand-built ONNX graphs whose counts can be worked out on paper."""

from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="onnx (the train extra) is needed to build test graphs")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from bench.flops import FlopCountError, count_flops, op_counts  # noqa: E402


def tiny_cnn() -> onnx.ModelProto:
    """[N,1,8,8] -> Conv 3x3 (4 out, bias) -> Relu -> Conv 3x3 stride 2 group 2 (4 out, no bias)
    -> Reshape [N,16] -> MatMul [16,3] -> Add -> Softmax."""
    rng = np.random.default_rng(0)
    inits = [
        numpy_helper.from_array(rng.standard_normal((4, 1, 3, 3)).astype(np.float32), "w1"),
        numpy_helper.from_array(np.zeros(4, np.float32), "b1"),
        numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "w2"),
        numpy_helper.from_array(np.array([-1, 16], np.int64), "shape"),
        numpy_helper.from_array(rng.standard_normal((16, 3)).astype(np.float32), "fc"),
        numpy_helper.from_array(np.zeros(3, np.float32), "fcb"),
    ]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], kernel_shape=[3, 3]),  # -> [N,4,6,6]
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node(
            "Conv", ["r1", "w2"], ["c2"], kernel_shape=[3, 3], strides=[2, 2], group=2
        ),  # [N,4,2,2]
        helper.make_node("Reshape", ["c2", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "fc"], ["logits"]),
        helper.make_node("Add", ["logits", "fcb"], ["biased"]),
        helper.make_node("Softmax", ["biased"], ["p"], axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 3])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_counts_match_the_paper_arithmetic():
    conv1 = 2 * 4 * 6 * 6 * 1 * 3 * 3 + 4 * 6 * 6  # multiply-adds x2, plus one bias add per output
    relu = 4 * 6 * 6
    conv2 = 2 * 4 * 2 * 2 * (4 // 2) * 3 * 3  # Cin/group = 2
    matmul = 2 * 3 * 16
    add, softmax = 3, 3 * 3
    count = count_flops(tiny_cnn(), batch=1)
    by_name = {n.op_type + str(i): n.flops for i, n in enumerate(count.nodes)}
    assert by_name == {
        "Conv0": conv1,
        "Relu1": relu,
        "Conv2": conv2,
        "Reshape3": 0,
        "MatMul4": matmul,
        "Add5": add,
        "Softmax6": softmax,
    }
    assert count.total == conv1 + relu + conv2 + matmul + add + softmax
    assert count.macs_per_item == 4 * 6 * 6 * 9 + 4 * 2 * 2 * 2 * 9 + 3 * 16


def test_per_item_flops_do_not_depend_on_the_batch():
    one, many = count_flops(tiny_cnn(), batch=1), count_flops(tiny_cnn(), batch=7)
    assert many.total == 7 * one.total
    assert many.per_item == one.per_item


def test_by_op_groups_and_orders_by_cost():
    by_op = count_flops(tiny_cnn()).by_op()
    assert next(iter(by_op)) == "Conv"
    assert by_op["Conv"] == 2 * 4 * 6 * 6 * 9 + 4 * 6 * 6 + 2 * 4 * 2 * 2 * 2 * 9


def test_op_counts_sees_layout_nodes():
    assert op_counts(tiny_cnn()) == {"Conv": 2, "Relu": 1, "Reshape": 1, "MatMul": 1, "Add": 1, "Softmax": 1}


def test_a_shape_inference_cannot_resolve_is_a_clear_error():
    node = helper.make_node("Relu", ["x"], ["y"])
    graph = helper.make_graph(
        [node],
        "unknown",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],  # no shape at all
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(FlopCountError, match="no inferred shape"):
        count_flops(model)
