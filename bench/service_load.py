"""Load test of the HTTP service on loopback: a fixed number of whole-check reads at several
concurrencies, against a ``checkocr serve`` process this script starts (and stops) itself.

    .venv/bin/python bench/service_load.py --requests 64 --concurrency 1,8,32

Images: ``--images DIR`` (PNG/JPEG/TIFF files, with ``<stem>.json`` ground truth from ``checkocr synth``
when present), else 16 synthetic checks generated into a temporary folder (needs MNIST in the data dir).
Prints requests/s, p50/p99 latency, status counts and, with ground truth, how many amounts were right.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_images(folder: Path) -> list[tuple[bytes, str, int | None]]:
    images = []
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in TYPES:
            continue
        truth = path.with_suffix(".json")
        cents = json.loads(truth.read_text()).get("amount_cents") if truth.is_file() else None
        images.append((path.read_bytes(), TYPES[path.suffix.lower()], cents))
    if not images:
        raise SystemExit(f"no PNG/JPEG/TIFF images in {folder}")
    return images


def synthesise(folder: Path, count: int) -> None:
    command = [
        sys.executable,
        "-m",
        "checkocr",
        "synth",
        "--out",
        str(folder),
        "--count",
        str(count),
        "--seed",
        "7",
    ]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)


def start_server(port: int, key: str, model_path: str | None) -> subprocess.Popen:
    command = [sys.executable, "-m", "checkocr", "serve", "--port", str(port)]
    if model_path:
        command += ["--model-path", model_path]
    env = {**os.environ, "CHECKOCR_API_KEYS": key, "CHECKOCR_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)


async def wait_ready(base: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit(f"{base}/readyz not ready within {timeout_s} s")


async def run_level(base: str, key: str, images: list, requests: int, concurrency: int) -> dict:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    correct = judged = 0
    next_index = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal next_index, correct, judged
        while next_index < requests:
            data, content_type, cents = images[next_index % len(images)]
            next_index += 1
            start = time.perf_counter()
            try:
                response = await client.post(
                    f"{base}/v1/checks/read",
                    content=data,
                    headers={"content-type": content_type, "x-api-key": key},
                )
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            latencies.append(time.perf_counter() - start)
            statuses[status] += 1
            if status == 200 and cents is not None:
                judged += 1
                correct += response.json()["amount_cents"] == cents

    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency,
        "requests": requests,
        "rps": requests / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000,
        "statuses": dict(sorted(statuses.items())),
        "errors": sum(n for s, n in statuses.items() if s != 200),
        "correct": f"{correct}/{judged}" if judged else "n/a",
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=Path, help="folder of check images (default: 16 synthetic checks)")
    parser.add_argument("--requests", type=int, default=64, help="requests per concurrency level")
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--model-path", help="ONNX model (default CHECKOCR_MODEL_PATH / the shipped model)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.images
        if folder is None:
            folder = Path(scratch)
            synthesise(folder, 16)
        images = load_images(folder)
        port, key = free_port(), secrets.token_urlsafe(16)
        server = start_server(port, key, args.model_path)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(base)
            async with httpx.AsyncClient() as client:  # one untimed request per image warms caches
                for data, content_type, _ in images[:2]:
                    await client.post(
                        f"{base}/v1/checks/read",
                        content=data,
                        headers={"content-type": content_type, "x-api-key": key},
                        timeout=60,
                    )
            print(
                f"{len(images)} images from {folder}; {os.cpu_count()} host CPUs, "
                f"{len(os.sched_getaffinity(0))} usable"
            )
            header = f"{'conc':>5} {'req':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
            print(f"{header}  statuses  correct")
            for level in (int(c) for c in args.concurrency.split(",")):
                r = await run_level(base, key, images, args.requests, level)
                print(
                    f"{r['concurrency']:>5} {r['requests']:>5} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} "
                    f"{r['p99_ms']:>8.1f} {r['errors']:>7}  {r['statuses']}  {r['correct']}"
                )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
            if server.returncode not in (0, None):
                print(
                    f"server exited with {server.returncode}: {server.stderr.read() if server.stderr else ''}"
                )


if __name__ == "__main__":
    asyncio.run(main())
