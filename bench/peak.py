"""The machine's measured float32 multiply-add rate: a large numpy matmul, one subprocess per thread count.

A datasheet peak is unknowable inside a VM (the clock and the FMA port count are hidden), so the
reference is what the best-tuned float32 kernel on this machine (OpenBLAS sgemm through numpy) reaches.
BLAS reads its thread count once, when the library loads, so each thread count gets a fresh interpreter
with OPENBLAS/OMP/MKL_NUM_THREADS set before numpy is imported; setting them in this process would be
too late.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

# Runs in the child: times ``repeats`` products of two n x n float32 matrices and prints JSON.
CHILD = """
import json, sys, time
import numpy as np
n, repeats = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
out = np.empty((n, n), dtype=np.float32)
np.matmul(a, b, out=out)  # warm-up: thread pool start, page faults
seconds = []
for _ in range(repeats):
    t = time.perf_counter()
    np.matmul(a, b, out=out)
    seconds.append(time.perf_counter() - t)
print(json.dumps({"n": n, "seconds": seconds}))
"""


@dataclass(frozen=True)
class PeakResult:
    threads: int
    n: int
    seconds: tuple[float, ...]

    @property
    def flops_per_run(self) -> float:
        return 2.0 * self.n**3  # n^3 multiply-adds

    @property
    def best_flops(self) -> float:
        """The peak: the fastest run (interference from other processes only ever slows a run down)."""
        return self.flops_per_run / min(self.seconds)

    @property
    def median_flops(self) -> float:
        ordered = sorted(self.seconds)
        return self.flops_per_run / ordered[len(ordered) // 2]


def thread_env(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    return env


def measure_peak(threads: int, n: int = 2048, repeats: int = 5, timeout_s: float = 300.0) -> PeakResult:
    """sgemm rate with ``threads`` BLAS threads, in a fresh interpreter."""
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(n), str(repeats)],
        env=thread_env(threads),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"matmul benchmark failed with {threads} threads: {completed.stderr.strip()[-500:]}"
        )
    payload = json.loads(completed.stdout.strip().splitlines()[-1])
    return PeakResult(threads, int(payload["n"]), tuple(float(s) for s in payload["seconds"]))


def blas_description() -> str:
    """Which BLAS numpy uses and the kernel OpenBLAS picked at load time (DYNAMIC_ARCH builds choose by
    CPU, and a wrong pick, e.g. Haswell kernels on an AVX-512 machine, would halve the "peak")."""
    import numpy as np

    blas = np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {})
    name = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    env = dict(os.environ, OPENBLAS_VERBOSE="2")
    probe = subprocess.run(
        [sys.executable, "-c", "import numpy"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    core = next(
        (
            line.split(":", 1)[1].strip()
            for line in (probe.stdout + probe.stderr).splitlines()
            if line.startswith("Core:")
        ),
        "",
    )
    return f"{name} (kernel {core})" if core else name


def measure_onnxruntime_peak(threads: int, n: int = 2048, repeats: int = 5) -> PeakResult:
    """The same n x n float32 product as a one-node ONNX MatMul run by onnxruntime (its MLAS sgemm).

    The digit model runs on MLAS, not on OpenBLAS; if MLAS multiplies faster on this CPU, numpy alone
    would understate the peak and overstate how close the model gets to it, so both are measured and
    the faster one is the reference.
    """
    import time

    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])],
        "sgemm",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, [n, n]) for x in ("a", "b")],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    feed = {x: rng.standard_normal((n, n), dtype=np.float32) for x in ("a", "b")}
    session.run(None, feed)
    seconds = []
    for _ in range(repeats):
        t = time.perf_counter()
        session.run(None, feed)
        seconds.append(time.perf_counter() - t)
    return PeakResult(threads, n, tuple(seconds))
