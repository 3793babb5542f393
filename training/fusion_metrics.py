"""How well the fused reader's confidence ranks and calibrates, per dev set (``training/fusion.py``).

Read rate at a fixed error (checkocr/operating_point.py: among the accepted, or over all items),
expected calibration error with its reliability bins, and the diagram docs/ shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from checkocr.operating_point import read_rate_at

if TYPE_CHECKING:
    from training.fusion import Item

BINS = 10


def ece(probability: np.ndarray, right: np.ndarray) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error over BINS equal-width bins, and the bins (reliability diagram)."""
    bins = []
    total = 0.0
    for k in range(BINS):
        low, high = k / BINS, (k + 1) / BINS
        inside = (probability >= low) & ((probability < high) if k < BINS - 1 else (probability <= high))
        if inside.any():
            confidence, accuracy = float(probability[inside].mean()), float(right[inside].mean())
            total += inside.mean() * abs(confidence - accuracy)
            bins.append(
                {
                    "low": low,
                    "high": high,
                    "count": int(inside.sum()),
                    "confidence": confidence,
                    "accuracy": accuracy,
                }
            )
    return float(total), bins


def set_metrics(
    items: list[Item], probability: np.ndarray, chosen_right: np.ndarray
) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for set_name in sorted({i.set_name for i in items}):
        mask = np.asarray([i.set_name == set_name for i in items])
        right = chosen_right[mask]
        p = probability[mask]
        row: dict[str, object] = {
            "items": int(mask.sum()),
            "exact_fused": round(float(right.mean()), 4),
            "exact_field": round(float(np.mean([i.field_right for i in items if i.set_name == set_name])), 4),
            "exact_digits": round(
                float(np.mean([i.digits_right for i in items if i.set_name == set_name])), 4
            ),
            "readers_agree": round(
                float(np.mean([i.context.agree for i in items if i.set_name == set_name])), 4
            ),
        }
        for name, wrong in (("1pct", 0.01), ("0.1pct", 0.001)):
            among = read_rate_at(p, right, wrong, among="accepted")
            row[f"read_rate_at_{name}_wrong_among_accepted"] = round(among.read_rate, 4)
            row[f"threshold_{name}_among_accepted"] = round(min(among.threshold, 1.0), 6)  # 1.0: none
            over_all = read_rate_at(p, right, wrong, among="all")
            row[f"read_rate_at_{name}_wrong_over_all"] = round(over_all.read_rate, 4)
        row["ece"], row["reliability"] = ece(p, right)
        row["ece"] = round(row["ece"], 4)  # type: ignore[arg-type]
        out[set_name] = row
    return out


def reliability_diagram(metrics: dict[str, dict[str, object]], path: Path) -> None:
    """Out-of-fold confidence against accuracy per bin, one line per set, with each set's ECE."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5.5, 5))
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for set_name, row in metrics.items():
        bins = row["reliability"]
        assert isinstance(bins, list)
        axes.plot(
            [b["confidence"] for b in bins],
            [b["accuracy"] for b in bins],
            marker="o",
            label=f"{set_name} ({row['items']} items, ECE {row['ece']})",
        )
    axes.set_xlabel("fused confidence (out of fold)")
    axes.set_ylabel("share right")
    axes.set_title("Fused reader: reliability on the dev sets")
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
