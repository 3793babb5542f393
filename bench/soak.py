"""Soak test on loopback: mixed good and hostile reads at a fixed concurrency for a fixed time.

    .venv/bin/python -m bench.soak --duration 120 --concurrency 32      # make soak
    .venv/bin/python -m bench.soak --duration 15 --concurrency 16 --model-path M   # the test variant

Starts its own ``checkocr serve`` (queue deep enough for the concurrency, so a 503 would be a fault,
not saturation), sends synthetic checks and amount fields mixed with broken, oversized-declared,
wrongly typed and badly parameterised requests, samples the server's resident memory from /proc every
second, then stops it with SIGTERM. Prints status counts, p50/p99 latency of the good reads, median RSS
right after the warm-up (first 25%) and over the last fifth of the run, and exits 1 on any 5xx or
>= 10% RSS growth.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np

from bench.service_load import free_port
from checkocr.config import PROJECT_ROOT, Settings

GROWTH_LIMIT = 0.10


def encode_png(grey: np.ndarray) -> bytes:
    import cv2

    ok, buffer = cv2.imencode(".png", grey)
    assert ok
    return buffer.tobytes()


def digit_pool():
    """MNIST test digits when the data folder is there, else digits drawn with OpenCV."""
    import cv2

    from checkocr.synth import MnistTestPool

    data_dir = Settings().data_dir
    if data_dir is not None:
        try:
            return MnistTestPool.from_data_dir(data_dir)
        except Exception as exc:
            print(f"MNIST not usable ({exc}); drawing digits", file=sys.stderr)
    images, labels = [], []
    for digit in range(10):
        image = np.zeros((28, 28), np.uint8)
        cv2.putText(image, str(digit), (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
        images.append(image)
        labels.append(digit)
    return MnistTestPool(np.stack(images), np.array(labels), source="drawn")


def workload(count: int = 12) -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(kind, path+query, body, headers): good checks and fields, then the hostile requests."""
    from checkocr.synth import generate_check, generate_field

    pool = digit_pool()
    rng = np.random.default_rng(7)
    png = {"Content-Type": "image/png"}
    items = []
    for _ in range(count):
        grey, _ = generate_check(rng, pool)
        items.append(("good", "/v1/checks/read", encode_png(grey), png))
        field, truth = generate_field(rng, pool)
        query = f"/v1/checks/read?region=field&expected_amount={truth['amount']}"
        items.append(("good", query, encode_png(field), png))
    sample = items[0][2]
    items += [
        ("bad", "/v1/checks/read", b"", png),
        ("bad", "/v1/checks/read", sample[: len(sample) // 3], png),
        ("bad", "/v1/checks/read", b"<html>not an image</html>", png),
        ("bad", "/v1/checks/read", sample, {"Content-Type": "text/plain"}),
        ("bad", "/v1/checks/read?expected_amount=12%2C3x", sample, png),
        ("bad", "/v1/checks/read?region=everything", sample, png),
        ("bad", "/v1/checks/read", sample, {}),
    ]
    return items


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def soak(base: str, key: str, pid: int, duration: float, concurrency: int, items: list) -> dict:
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    rss: list[tuple[float, int]] = []
    start = time.monotonic()
    stop_at = start + duration

    async def worker(index: int, client: httpx.AsyncClient) -> None:
        cursor = index
        while time.monotonic() < stop_at:
            kind, path, body, headers = items[cursor % len(items)]
            cursor += concurrency
            sent = time.perf_counter()
            try:
                response = await client.post(
                    base + path, content=body, headers={**headers, "Authorization": f"Bearer {key}"}
                )
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = f"transport:{type(exc).__name__}"
            if kind == "good" and status == "200":
                latencies.append(time.perf_counter() - sent)
            statuses[f"{kind}:{status}"] += 1

    async def sampler() -> None:
        while time.monotonic() < stop_at:
            rss.append((time.monotonic() - start, rss_kib(pid)))
            await asyncio.sleep(1.0)

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        await asyncio.gather(sampler(), *(worker(i, client) for i in range(concurrency)))
    return {"statuses": statuses, "latencies": latencies, "rss": rss, "elapsed": time.monotonic() - start}


def default_model() -> Path:
    configured = Settings().model_path
    dev = PROJECT_ROOT / "runs" / "dev" / "digits.onnx"
    return configured if configured.is_file() or not dev.is_file() else dev


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--model-path", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here")
    args = parser.parse_args(argv)
    model = args.model_path or default_model()
    items = workload()
    key = secrets.token_urlsafe(24)
    port = free_port()
    env = {
        **os.environ,
        "CHECKOCR_API_KEYS": key,
        "CHECKOCR_MAX_QUEUE": str(args.concurrency * 2),
        "CHECKOCR_LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryFile() as log:
        command = [sys.executable, "-m", "checkocr", "serve", "--port", str(port), "--model-path", str(model)]
        server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    print(log.read().decode(errors="replace")[-3000:], file=sys.stderr)
                    return 2
                time.sleep(0.2)
            result = asyncio.run(soak(base, key, server.pid, args.duration, args.concurrency, items))
        finally:
            server.send_signal(signal.SIGTERM)
            exit_code = server.wait(timeout=60)
    latencies = sorted(result["latencies"])
    samples = result["rss"]
    # RSS swings by +-15 MiB with the images in flight, so single samples are noise: compare the median
    # of the first fifth after the warm-up (first 25%) with the median of the last fifth of the run.
    warm = [kib for t, kib in samples if t >= 0.25 * args.duration]
    window = max(1, len(warm) // 5)
    rss_warm = int(statistics.median(warm[:window])) if warm else 0
    rss_end = int(statistics.median(warm[-window:])) if warm else 0
    growth = (rss_end - rss_warm) / rss_warm if rss_warm else 0.0
    total = sum(result["statuses"].values())
    server_errors = sum(n for s, n in result["statuses"].items() if s.split(":")[1].startswith("5"))
    transport = sum(n for s, n in result["statuses"].items() if s.split(":")[1].startswith("transport"))
    figures = {
        "model": str(model),
        "duration_s": round(result["elapsed"], 1),
        "concurrency": args.concurrency,
        "requests": total,
        "requests_per_s": round(total / result["elapsed"], 1),
        "statuses": dict(sorted(result["statuses"].items())),
        "good_p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "good_p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1) if latencies else None,
        "rss_after_warmup_mib": round(rss_warm / 1024, 1),
        "rss_end_mib": round(rss_end / 1024, 1),
        "rss_peak_mib": round(max(k for _, k in samples) / 1024, 1) if samples else None,
        "rss_growth": round(growth, 4),
        "rss_mib_every_5s": [round(kib / 1024, 1) for t, kib in samples[::5]],
        "server_errors_5xx": server_errors,
        "transport_errors": transport,
        "server_exit_code": exit_code,
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    failed = server_errors or transport or growth >= GROWTH_LIMIT or exit_code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
