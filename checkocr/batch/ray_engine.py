"""The Ray engine: the same scoring on Ray Data, for a cluster (or a local Ray on one machine).

Sources become a dataset (``ray.data.from_items``); ``map_batches`` runs ``RayScorer``, a callable
class, on an actor pool of ``workers`` actors, each loading the model once in its constructor and
scoring with the same ``score_chunk`` as the local engine. Records come back to the driver as JSON
strings and go through the same OutputWriter, so resume, repair and CSV behave exactly as locally.

Ray is an optional extra (``pip install 'checkocr[ray]'``); nothing here imports it at module level.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from typing import Any

from checkocr.batch.scoring import Item, Record, Region, load_reader, score_chunk
from checkocr.config import Settings

RAY_INSTALL_HINT = (
    "the Ray engine needs the ray extra: pip install 'checkocr[ray]' (or: pip install 'ray[data]')"
)


class RayUnavailable(RuntimeError):
    """``ray`` (with Ray Data) is not importable in this environment."""


def import_ray() -> Any:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise RayUnavailable(f"{RAY_INSTALL_HINT} ({exc})") from exc
    return ray


class RayScorer:
    """One per Ray actor: holds a Reader for the actor's lifetime and scores a batch of sources."""

    def __init__(self, settings: Settings, region: Region) -> None:
        self.reader = load_reader(settings)
        self.region = region
        self.max_pixels = settings.max_image_pixels

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        items = [(str(path), str(key)) for path, key in zip(batch["path"], batch["source"], strict=True)]
        records = score_chunk(self.reader, items, self.region, self.max_pixels)
        lines = [json.dumps(record, separators=(",", ":")) for record in records]
        return {"record": np.array(lines, dtype=object)}


def iter_ray(
    items: list[Item],
    settings: Settings,
    region: Region,
    workers: int | None,
    chunk_size: int,
    address: str | None = None,
) -> Iterator[list[Record]]:
    """Yields records in the order Ray finishes them; starts (and stops) a local Ray if no address."""
    ray = import_ray()
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # per-dataset INFO lines would break the bar
    started_here = not ray.is_initialized()
    if started_here:
        if address:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=True)
        else:
            ray.init(
                num_cpus=workers, include_dashboard=False, logging_level=logging.WARNING, log_to_driver=True
            )
    try:
        if not items:
            return
        concurrency = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the driver shows its own bar, with the same meaning
        context.print_on_execution_start = False
        rows = [{"path": os.path.abspath(path), "source": key} for path, key in items]
        dataset = ray.data.from_items(rows).map_batches(
            RayScorer,
            fn_constructor_args=(settings, region),
            batch_size=chunk_size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=concurrency),
            num_cpus=1,
        )
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            yield [json.loads(line) for line in batch["record"]]
    finally:
        if started_here:
            ray.shutdown()
