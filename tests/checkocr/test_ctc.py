"""CTC decoding checked against brute force over every alignment of tiny inputs."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from checkocr.ctc import BLANK, best_alignment, best_path, prefix_beam_search, string_log_probability


def collapse(path: tuple[int, ...]) -> tuple[int, ...]:
    merged = [label for i, label in enumerate(path) if i == 0 or label != path[i - 1]]
    return tuple(label for label in merged if label != BLANK)


def brute_force(probs: np.ndarray) -> dict[tuple[int, ...], float]:
    """P(string) for every string: the sum over all C**T frame labellings that collapse to it."""
    totals: dict[tuple[int, ...], float] = {}
    steps, classes = probs.shape
    for path in itertools.product(range(classes), repeat=steps):
        p = float(np.prod([probs[t, c] for t, c in enumerate(path)]))
        key = collapse(path)
        totals[key] = totals.get(key, 0.0) + p
    return totals


def random_frames(seed: int, steps: int, classes: int) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(scale=2.0, size=(steps, classes))
    return np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("seed", "steps", "classes"), [(0, 1, 3), (1, 3, 3), (2, 4, 3), (3, 5, 4), (4, 6, 3)]
)
def test_forward_algorithm_equals_the_sum_over_all_alignments(seed: int, steps: int, classes: int) -> None:
    probs = random_frames(seed, steps, classes)
    exact = brute_force(probs)
    assert math.isclose(sum(exact.values()), 1.0, rel_tol=1e-9)
    for labels, p in exact.items():
        assert math.isclose(math.exp(string_log_probability(probs, labels)), p, rel_tol=1e-6), labels


def test_repeated_labels_need_a_blank_between_them() -> None:
    probs = random_frames(5, 2, 3)
    # "11" needs three frames (1, blank, 1): with two frames it cannot be written at all.
    assert string_log_probability(probs, [1, 1]) < -1000
    assert math.isclose(math.exp(string_log_probability(probs, [1])), brute_force(probs)[(1,)], rel_tol=1e-6)


def test_a_string_longer_than_the_frames_is_impossible() -> None:
    assert string_log_probability(random_frames(6, 2, 4), [1, 2, 3]) < -1000


@pytest.mark.parametrize("seed", range(5))
def test_beam_search_ranks_strings_like_brute_force(seed: int) -> None:
    probs = random_frames(seed, 5, 3)
    exact = sorted(brute_force(probs).items(), key=lambda kv: kv[1], reverse=True)
    found = prefix_beam_search(probs, beam_width=50, n_best=3)
    assert [labels for labels, _ in found] == [labels for labels, _ in exact[:3]]
    for (_, log_p), (_, p) in zip(found, exact[:3], strict=True):
        assert math.isclose(math.exp(log_p), p, rel_tol=1e-6)


def test_best_path_merges_repeats_and_keeps_frame_spans() -> None:
    #                 1     1     blank 1     2     2
    labels = np.array([1, 1, 0, 1, 2, 2])
    probs = np.full((6, 3), 0.05)
    probs[np.arange(6), labels] = 0.9
    chars = best_path(probs)
    assert [(c.label, c.first_frame, c.last_frame) for c in chars] == [(1, 0, 1), (1, 3, 3), (2, 4, 5)]
    assert all(math.isclose(c.probability, 0.9) for c in chars)


def test_best_path_of_all_blank_frames_is_empty() -> None:
    probs = np.zeros((4, 3))
    probs[:, BLANK] = 1.0
    assert best_path(probs) == []
    assert prefix_beam_search(probs)[0] == ((), 0.0)


def test_the_alignment_of_the_best_path_string_is_its_own_spans() -> None:
    labels = np.array([0, 2, 2, 0, 0, 1, 0, 1, 1, 0, 3])
    probs = np.full((len(labels), 4), 0.02)
    probs[np.arange(len(labels)), labels] = 0.94
    chars = best_path(probs)
    spans = best_alignment(probs, [c.label for c in chars])
    assert spans == [(c.first_frame, c.last_frame) for c in chars] == [(1, 2), (5, 5), (7, 8), (10, 10)]


def test_an_unalignable_string_has_no_alignment() -> None:
    assert best_alignment(random_frames(7, 2, 4), [1, 1]) is None
    assert best_alignment(random_frames(7, 2, 4), []) == []
