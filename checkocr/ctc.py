"""Decoding a CTC recogniser's frame probabilities: best path, an N-best list, and string probability.

The field model emits, for each of T frames (columns of the field, left to right), a distribution over
the blank (class 0) and the amount alphabet. A string is read by collapsing repeats and dropping
blanks. Three questions are asked of those frames:

- ``best_path``: the likeliest frame labelling, collapsed (fast, what a reading uses); each character
  keeps the frames it spans, which become its pixel box.
- ``prefix_beam_search``: the N likeliest *strings* (summing over all their alignments), which the
  fused reader uses as candidates.
- ``string_log_probability``: log P(string | frames) by the CTC forward algorithm, so any string
  (the digit path's reading, the depositor's keyed amount) can be scored by the field model.

All three work in log space: a field's frames multiply to probabilities far below float32's range.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BLANK = 0
LOG_FLOOR = -1e4  # log of a probability of zero (keeps arithmetic finite)
PRUNE_LOG = np.log(1e-4)  # classes below this in a frame are not extended by the beam search


@dataclass(frozen=True)
class DecodedChar:
    """One character of a best-path reading and the frames it occupies."""

    label: int  # class index (>= 1)
    first_frame: int
    last_frame: int
    probability: float  # the highest probability of this label over its frames


def log_probs(probs: np.ndarray) -> np.ndarray:
    """Frame probabilities [T, C] -> log probabilities, with zeros mapped to LOG_FLOOR."""
    with np.errstate(divide="ignore"):
        logs = np.log(probs.astype(np.float64))
    return np.maximum(logs, LOG_FLOOR)


def best_path(probs: np.ndarray) -> list[DecodedChar]:
    """Greedy CTC decoding: argmax per frame, repeats merged, blanks dropped."""
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"expected frame probabilities [T, C] with C >= 2, got {list(probs.shape)}")
    labels = probs.argmax(axis=1)
    chars: list[DecodedChar] = []
    start = 0
    for t in range(1, len(labels) + 1):
        if t < len(labels) and labels[t] == labels[start]:
            continue
        label = int(labels[start])
        if label != BLANK:
            peak = float(probs[start:t, label].max())
            chars.append(DecodedChar(label, start, t - 1, peak))
        start = t
    return chars


def _logsumexp(a: float, b: float) -> float:
    if a < b:
        a, b = b, a
    if b <= LOG_FLOOR:
        return a
    return a + math.log1p(math.exp(b - a))  # math on Python floats: ~5x numpy's scalar calls


def prefix_beam_search(
    probs: np.ndarray, beam_width: int = 8, n_best: int = 5
) -> list[tuple[tuple[int, ...], float]]:
    """The ``n_best`` likeliest label strings with their log probabilities, best first.

    Standard CTC prefix beam search: each prefix keeps the log probability of its alignments ending
    in a blank and ending in its last label, so that "11" (needs a blank between) and "1" (a repeated
    frame) are told apart. Classes far below the frame's best are not extended: on amount fields most
    frames are nearly one-hot, which makes the search cheap without changing its top results.
    """
    logs = log_probs(probs)
    beams: dict[tuple[int, ...], tuple[float, float]] = {(): (0.0, LOG_FLOOR)}  # (ends blank, ends label)
    for frame in logs:
        keep = np.flatnonzero(frame >= frame.max() + PRUNE_LOG)
        if len(keep) == 1 and keep[0] == BLANK:
            # Only blank survives the pruning (the padding, the gaps between glyphs): every prefix
            # just ends in a blank now, and their order cannot change.
            lp = float(frame[BLANK])
            beams = {prefix: (_logsumexp(pb, pl) + lp, LOG_FLOOR) for prefix, (pb, pl) in beams.items()}
            continue
        following: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [LOG_FLOOR, LOG_FLOOR])
        for prefix, (p_blank, p_label) in beams.items():
            total = _logsumexp(p_blank, p_label)
            last = prefix[-1] if prefix else None
            for c in keep:
                lp = float(frame[c])
                if c == BLANK:
                    entry = following[prefix]
                    entry[0] = _logsumexp(entry[0], total + lp)
                    continue
                extended = (*prefix, int(c))
                entry = following[extended]
                if c == last:
                    # a repeat extends the prefix only after a blank; without one it stays the prefix
                    entry[1] = _logsumexp(entry[1], p_blank + lp)
                    same = following[prefix]
                    same[1] = _logsumexp(same[1], p_label + lp)
                else:
                    entry[1] = _logsumexp(entry[1], total + lp)
        ranked = sorted(following.items(), key=lambda kv: _logsumexp(*kv[1]), reverse=True)
        beams = {prefix: (pb, pl) for prefix, (pb, pl) in ranked[:beam_width]}
    scored = [(prefix, _logsumexp(pb, pl)) for prefix, (pb, pl) in beams.items()]
    scored.sort(key=lambda item: item[1], reverse=True)
    return scored[:n_best]


def blank_extended(labels: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The CTC state sequence of a label string (a blank before, between and after its labels), and
    which states may be reached by skipping the blank before them: a label may, unless it repeats the
    label two places back ("11" needs its blank)."""
    extended = np.full(2 * len(labels) + 1, BLANK, dtype=np.int64)
    extended[1::2] = labels
    skip = np.zeros(len(extended), dtype=bool)
    skip[2:] = (extended[2:] != BLANK) & (extended[2:] != extended[:-2])
    return extended, skip


def advance(previous: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """Each state's forward score one frame later, before that frame's emission: the sum over staying,
    coming from the previous state, and skipping the blank two back where ``skip`` allows it."""
    score = previous.copy()
    score[1:] = np.logaddexp(score[1:], previous[:-1])
    score[2:] = np.logaddexp(score[2:], np.where(skip[2:], previous[:-2], -np.inf))
    return score


def string_log_probability(probs: np.ndarray, labels: Sequence[int]) -> float:
    """log P(labels | frames): the CTC forward algorithm over the blank-extended label sequence.

    Returns LOG_FLOOR-ish values (never -inf) when the string cannot be aligned, for example when it
    needs more frames than there are.
    """
    logs = log_probs(probs)
    steps = len(logs)
    if any(label <= BLANK or label >= logs.shape[1] for label in labels):
        raise ValueError(f"labels must be classes 1..{logs.shape[1] - 1}, got {list(labels)}")
    extended, skip = blank_extended(labels)
    size = len(extended)
    if steps == 0:
        return 0.0 if size == 1 else LOG_FLOOR
    emissions = logs[:, extended]  # [T, S]: each frame's log probability of each state's label
    alpha = np.full(size, -np.inf)
    alpha[: min(size, 2)] = emissions[0, :2]
    for t in range(1, steps):
        alpha = advance(alpha, skip)
        alpha += emissions[t]
    end = alpha[-1] if size == 1 else np.logaddexp(alpha[-1], alpha[-2])
    return float(max(end, LOG_FLOOR))


def best_alignment(probs: np.ndarray, labels: Sequence[int]) -> list[tuple[int, int]] | None:
    """The frames each label occupies in the likeliest alignment of ``labels`` (Viterbi), or None when
    the string cannot be aligned to these frames.

    Gives any string (an N-best entry, the digit path's reading) the frame spans that best path gives
    its own characters, so every candidate reading has pixel boxes.
    """
    logs = log_probs(probs)
    steps = len(logs)
    if not labels:
        return []
    extended, skip = blank_extended(labels)
    size = len(extended)
    emissions = logs[:, extended]
    score = np.full(size, -np.inf)
    score[:2] = emissions[0, :2]
    back = np.zeros((steps, size), dtype=np.int8)  # 0 stay, 1 from previous state, 2 skipped a blank
    jump_from = np.where(skip[2:], 0, -np.inf)  # -inf where a state may not be reached by a skip
    for t in range(1, steps):
        previous = score
        score = previous.copy()
        step = previous[:-1] > score[1:]  # ties keep the earlier move: stay, then step, then skip
        score[1:][step] = previous[:-1][step]
        back[t, 1:][step] = 1
        jump = previous[:-2] + jump_from > score[2:]
        score[2:][jump] = previous[:-2][jump]
        back[t, 2:][jump] = 2
        score += emissions[t]
    state = size - 1 if score[-1] >= score[-2] else size - 2
    if not np.isfinite(score[state]) or score[state] <= LOG_FLOOR * 0.5:
        return None
    spans: dict[int, list[int]] = {}
    for t in range(steps - 1, -1, -1):
        if state % 2 == 1:
            spans.setdefault(state // 2, []).append(t)
        state -= int(back[t, state])
    return [(min(spans[k]), max(spans[k])) for k in range(len(labels))]
