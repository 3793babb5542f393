"""The pen paths of the glyphs that are not MNIST digits ("," "." "-" "/" "=" "*" "$" "100"), with tremor.

Shapes are polylines in units of the digit height (x right, y down, baseline at y = 1), so one table
serves every writer's size; ``pen_lines`` adds the hand: jitter, corner-cut smoothing and slant.
``handwriting.render_lines`` draws them with the writer's pen.
"""

from __future__ import annotations

import numpy as np

Polyline = np.ndarray  # float [n, 2] in units of the digit height; (0, 0) is top-left of a full-height glyph


def _arc(cx: float, cy: float, r: float, start_deg: float, end_deg: float, n: int = 14) -> Polyline:
    angles = np.radians(np.linspace(start_deg, end_deg, n))
    return np.stack([cx + r * np.cos(angles), cy - r * np.sin(angles)], axis=1)


def stroke_shapes(char: str, rng: np.random.Generator) -> list[Polyline]:
    """The pen path of a non-digit glyph; single-point polylines are dots."""
    p = np.array
    if char == ".":
        return [p([[0.06, 0.94]])]
    if char == ",":
        return [p([[0.12, 0.84], [0.12, 0.98], [0.0, 1.18]])]
    if char == "-":
        length = rng.uniform(0.25, 0.55)
        return [p([[0.0, 0.56], [length, 0.53]])]
    if char == ".-":
        return [p([[0.04, 0.94]]), p([[0.2, 0.56], [0.2 + rng.uniform(0.25, 0.5), 0.53]])]
    if char == "=":
        length = rng.uniform(0.3, 0.5)
        return [p([[0.0, 0.46], [length, 0.44]]), p([[0.02, 0.66], [length + 0.02, 0.64]])]
    if char == "/":
        return [p([[0.4, 0.0], [0.0, 1.0]])]
    if char == "*":
        cx, cy, r = 0.22, 0.4, 0.2
        lines = []
        for angle in (90.0, 30.0, 150.0):
            dx, dy = r * np.cos(np.radians(angle)), r * np.sin(np.radians(angle))
            lines.append(p([[cx - dx, cy + dy], [cx + dx, cy - dy]]))
        return lines
    if char == "$":
        upper = _arc(0.27, 0.3, 0.2, 30, 270)
        lower = _arc(0.27, 0.7, 0.2, 90, -150)
        return [np.concatenate([upper, lower]), p([[0.27, -0.1], [0.27, 1.1]])]
    if char == "100":
        return [
            p([[0.0, 0.15], [0.08, 0.0], [0.08, 1.0]]),
            _arc(0.42, 0.5, 0.17, 90, 450, 18),
            _arc(0.82, 0.5, 0.17, 90, 450, 18),
        ]
    raise ValueError(f"no stroke shape for {char!r}")


def _stretch_ovals(lines: list[Polyline], char: str) -> list[Polyline]:
    """The zeros of '100' are taller than wide: squash the circles into ovals about their centre."""
    if char != "100":
        return lines
    out = [lines[0]]
    for oval in lines[1:]:
        centre = oval.mean(axis=0)
        out.append((oval - centre) * [1.0, 2.8] + centre)
    return out


def chaikin(points: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Corner cutting: turns jittered control points into a smooth pen path."""
    for _ in range(rounds):
        if len(points) < 3:
            return points
        q = 0.75 * points[:-1] + 0.25 * points[1:]
        r = 0.25 * points[:-1] + 0.75 * points[1:]
        points = np.concatenate([points[:1], np.stack([q, r], axis=1).reshape(-1, 2), points[-1:]])
    return points


def pen_lines(char: str, rng: np.random.Generator, slant: float) -> list[Polyline]:
    """Stroke shapes with hand tremor (point jitter), smoothing and the writer's slant."""
    lines = _stretch_ovals(stroke_shapes(char, rng), char)
    out = []
    for line in lines:
        jittered = line + rng.normal(0.0, 0.022, size=line.shape)
        smooth = chaikin(jittered)
        sheared = smooth.copy()
        sheared[:, 0] += slant * (1.0 - smooth[:, 1])
        out.append(sheared)
    return out
