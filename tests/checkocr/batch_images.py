"""Small check images drawn with OpenCV for the batch tests (no dataset needed).

Printed digits on white are not handwriting, but they exercise the whole read path and the model
reads them reliably, which is all the batch tests need: they test the plumbing, not accuracy.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

AMOUNTS = ("12.50", "304.00", "7.25", "1250.75", "99.99", "45.10", "860.04", "3.17")


def draw_field(path: Path, amount: str, width: int = 420, height: int = 90) -> Path:
    """An amount field: the amount in dark ink on white paper, saved in the format of ``path``."""
    image = np.full((height, width), 255, np.uint8)
    cv2.putText(image, amount, (15, height - 25), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 0, 4, cv2.LINE_AA)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f"cv2 could not write {path}")
    return path


def make_folder(root: Path, count: int, broken: bool = True) -> list[str]:
    """``count`` readable fields spread over sub-folders (+ two broken files); returns sorted keys."""
    keys = []
    for index in range(count):
        suffix = (".png", ".jpg", ".TIF")[index % 3]
        key = f"{'day' + str(index % 2)}/c{index:03d}{suffix}"
        draw_field(root / key, AMOUNTS[index % len(AMOUNTS)])
        keys.append(key)
    if broken:
        (root / "broken").mkdir(exist_ok=True)
        (root / "broken" / "empty.png").write_bytes(b"")
        (root / "broken" / "text.jpg").write_text("this is not a JPEG\n")
        keys += ["broken/empty.png", "broken/text.jpg"]
    (root / "notes.txt").write_text("not an image, not a source\n")
    return sorted(keys)
