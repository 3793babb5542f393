"""The calibrator's fit: the trees written to the card give the probabilities scikit-learn gives."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn", reason="fitting the calibrator needs the train extra (scikit-learn)")

from checkocr.calibration import Calibrator, FusionCard
from checkocr.fusion import FEATURES
from training import fusion


def facts_and_outcomes(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Facts whose odds rise with the first two scores and with agreement, as real ones do."""
    rng = np.random.default_rng(seed)
    x = np.zeros((count, len(FEATURES)))
    x[:, 0] = -rng.exponential(2.0, count)  # field_logp
    x[:, 1] = -rng.exponential(4.0, count)  # digit_logp
    x[:, 2] = rng.random(count) < 0.6  # readers_agree
    x[:, -1] = rng.random(count) < 0.4  # on_check
    odds = 3.0 + 1.2 * x[:, 0] + 0.3 * x[:, 1] + 2.0 * x[:, 2] - 0.8 * x[:, -1]
    return x, rng.random(count) < 1 / (1 + np.exp(-odds))


def test_the_card_gives_scikit_learns_probabilities() -> None:
    x, y = facts_and_outcomes(800, 1)
    model = fusion.fit(x, y)
    baseline, trees = fusion.card_trees(model)
    card = {
        "name": "fusion",
        "version": "test",
        "created": "2026-12-06",
        "features": list(FEATURES),
        "baseline": baseline,
        "trees": trees,
        "field_model_sha256": "0" * 64,
        "digit_model_sha256": "0" * 64,
    }
    assert len(trees) == fusion.BAGS * fusion.BOOSTING["max_iter"]
    held_out, _ = facts_and_outcomes(200, 2)
    assert fusion.parity(card, model, held_out) < 1e-9
    # the JSON written to disk (a tree per line) loads back to the same calibrator
    loaded = Calibrator(FusionCard.model_validate(json.loads(fusion.card_json(card))))
    row = dict(zip(FEATURES, held_out[0], strict=True))
    assert loaded.probability(row) == pytest.approx(model.predict_proba(held_out[:1])[0, 1], abs=1e-9)


def test_the_bagged_models_differ_and_the_card_is_their_average() -> None:
    """Each model sees its own part of the items; the card's log-odds are the mean of theirs."""
    x, y = facts_and_outcomes(800, 4)
    bagged = fusion.fit(x, y)
    assert len(bagged.models) == fusion.BAGS
    each = np.array([m.decision_function(x[:50]) for m in bagged.models])
    assert np.ptp(each, axis=0).max() > 0.01  # not ten copies of one fit
    assert np.allclose(bagged.log_odds(x[:50]), each.mean(axis=0))
    assert np.array_equal(fusion.fit(x, y).log_odds(x[:50]), bagged.log_odds(x[:50]))  # seeded


def test_more_of_a_fact_never_lowers_the_probability() -> None:
    """The monotonic constraints hold in the fitted trees: a likelier field string is never worse."""
    x, y = facts_and_outcomes(800, 3)
    model = fusion.fit(x, y)
    grid = np.repeat(x[:1], 50, axis=0)
    grid[:, 0] = np.linspace(-12.0, 0.0, 50)
    assert np.all(np.diff(model.predict_proba(grid)[:, 1]) >= -1e-12)


def test_a_cache_is_reused_only_for_the_models_and_code_it_was_read_with(tmp_path, capsys) -> None:
    """A cache written for another field model (or other code) is read again, not fitted on: a stale
    cache once fitted the card to the previous model's readings without a word."""
    field, digits = "1" * 64, "2" * 64
    key = fusion.cache_key(field, digits, None, 600)
    assert key == fusion.cache_key(field, digits, None, 600)  # the same models and code: the same key
    assert key != fusion.cache_key(field, digits, None, 300)
    assert key != fusion.cache_key("3" * 64, digits, None, 600)
    cache = tmp_path / "items.pkl"
    assert fusion.cached_items(cache, key) is None  # none yet
    cache.write_bytes(pickle.dumps({"key": key, "items": ["read"]}))
    assert fusion.cached_items(cache, key) == ["read"]
    other_model = key | {"field_model": "0" * 64}
    assert fusion.cached_items(cache, other_model) is None
    assert "field_model changed" in capsys.readouterr().out
    cache.write_bytes(pickle.dumps(["a cache from before the key"]))
    assert fusion.cached_items(cache, key) is None


def raised_item(raised: bool, field_right: bool) -> fusion.Item:
    """An item with two candidates: the field model's (its score 2 better) and the digit path's (its
    score 3 better). At a digit weight below 2/3 the field model's wins, above it the digit path's."""
    from checkocr.assemble import Assembly
    from checkocr.fusion import Candidate, Context

    field = Candidate("4412", Assembly("4412.00", 441200, 0.9, []), -1.0, -4.0, {"field"})
    digits = Candidate("4482", Assembly("44.82", 4482, 0.9, []), -3.0, -1.0, {"digits"})
    context = Context(441200, 0.9, 4482, 0.9, 1.0)
    return fusion.Item(
        "synthetic", "x", [field, digits], [field_right, not field_right], context, True, True, raised
    )


def test_the_raised_cents_weight_is_chosen_on_the_raised_cents_items_alone() -> None:
    """Most items want the field model (weight 0.5); the few where the digit path read raised cents
    want the digit path (a weight above 2/3); one weight for all would serve the many."""
    items = [raised_item(False, field_right=True) for _ in range(8)]
    items += [raised_item(True, field_right=False) for _ in range(3)]
    assert fusion.best_weight(items) < 2 / 3
    weight, raised_weight = fusion.best_weights(items)
    assert weight == fusion.best_weight(items)
    assert raised_weight > 2 / 3
    _, right, _ = fusion.matrix(items, weight, raised_weight)
    assert right.all()
    assert (
        fusion.best_weights([raised_item(False, True), raised_item(True, True)])[1] == weight
    )  # ties: the plain one
