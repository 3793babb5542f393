"""Pictures and a markdown report of a training run, for people deciding whether to trust the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np


def plot_curves(histories: dict[str, dict[str, list[float]]], path: Path) -> None:
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for kind, history in histories.items():
        epochs = range(1, len(history.get("loss", [])) + 1)
        loss_ax.plot(epochs, history.get("loss", []), label=f"{kind} train")
        loss_ax.plot(epochs, history.get("val_loss", []), "--", label=f"{kind} val")
        acc_ax.plot(epochs, history.get("val_accuracy", []), label=f"{kind} val")
    loss_ax.set(title="loss", xlabel="epoch", yscale="log")
    acc_ax.set(title="validation accuracy", xlabel="epoch")
    loss_ax.legend(fontsize=7)
    acc_ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(matrix: np.ndarray, path: Path, title: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 5.5))
    shown = matrix.astype(float).copy()
    np.fill_diagonal(shown, 0)  # the diagonal would drown the errors
    image = ax.imshow(shown, cmap="Reds")
    for (row, col), value in np.ndenumerate(matrix):
        ax.text(col, row, str(value), ha="center", va="center", fontsize=7)
    ax.set(title=title, xlabel="predicted", ylabel="true", xticks=range(10), yticks=range(10))
    fig.colorbar(image, ax=ax, label="errors")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_reliability(before: list[dict[str, float]], after: list[dict[str, float]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for rows, label in ((before, "uncalibrated"), (after, "temperature-scaled")):
        used = [row for row in rows if row["count"]]
        ax.plot([r["confidence"] for r in used], [r["accuracy"] for r in used], "o-", label=label)
    ax.plot([0, 1], [0, 1], "k:", label="perfect")
    ax.set(title="reliability (MNIST test)", xlabel="confidence", ylabel="accuracy")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_markdown(card: dict[str, Any], path: Path) -> None:
    metrics = card["metrics"]
    lines = [
        f"# Digit model report: {card['name']} {card['version']}",
        "",
        f"Created {card['created']} on {card['training']['hardware']}; "
        f"wall time {card['training']['wall_time_s']:.0f} s; seed {card['training']['seed']}.",
        f"Command: `{card['training']['command']}`",
        "",
        "## Candidates",
        "",
        "| kind | val acc | test acc | ECE (calibrated) | params | ONNX bytes | ms b1 | ms b64 | chosen |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in card["candidates"]:
        lines.append(
            f"| {row['kind']} | {row['val_accuracy']:.4f} | {row['test_accuracy']:.4f} | {row['ece']:.4f} "
            f"| {row['parameters']:,} | {row['onnx_bytes']:,} | {row['latency_ms']['batch_1']:.3f} "
            f"| {row['latency_ms']['batch_64']:.3f} | {'yes' if row['chosen'] else ''} |"
        )
    lines += [
        "",
        f"Selection: {card['selection']}",
        "",
        "## Shipped model",
        "",
        f"- validation accuracy {metrics['val_accuracy']:.4f}, "
        f"MNIST test accuracy {metrics['test_accuracy']:.4f}",
        f"- temperature {metrics['temperature']:.3f}; ECE {metrics['ece_uncalibrated']:.4f} before, "
        f"{metrics['ece']:.4f} after scaling",
        f"- ONNX parity: {card['training']['parity']}",
        "",
        "| class | precision | recall |",
        "|---|---|---|",
    ]
    lines += [
        f"| {cls} | {pr['precision']:.4f} | {pr['recall']:.4f} |" for cls, pr in metrics["per_class"].items()
    ]
    lines += [
        "",
        "![training curves](curves.png)",
        "![confusion matrix](confusion.png)",
        "![reliability](reliability.png)",
        "",
    ]
    path.write_text("\n".join(lines))
