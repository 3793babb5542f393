"""Labelled dev fields, with the project's corrections of wrong third-party labels applied.

The ORAND CAR-A labels were made by a third party and a few are wrong. Corrections live in the
repository (``training/orand_label_fixes.tsv``, each with its reason), never in the dataset folder,
and every figure the project reports reads the labels through here.
"""

from __future__ import annotations

from pathlib import Path

FIXES = Path(__file__).resolve().parent.parent / "training" / "orand_label_fixes.tsv"


def label_fixes(path: Path = FIXES) -> dict[str, tuple[str, str]]:
    """filename -> (label as shipped, corrected label)."""
    if not path.is_file():
        return {}
    fixes = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("filename\t"):
            continue
        name, shipped, corrected = line.split("\t")[:3]
        fixes[name] = (shipped, corrected)
    return fixes


def read_labels(folder: Path, fixes: dict[str, tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """(filename, label) of a ``labels.tsv`` (no header), corrected where the shipped label matches
    the one a fix was written for (a dataset whose labels were since corrected upstream is left alone)."""
    fixes = label_fixes() if fixes is None else fixes
    pairs = []
    for line in (folder / "labels.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, label = (cell.strip() for cell in line.split("\t")[:2])
            shipped, corrected = fixes.get(name, (None, None))
            pairs.append((name, corrected if shipped == label else label))
    return pairs
