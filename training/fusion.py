"""Fits the fused reader's confidence on out-of-fold readings of the dev sets, and writes its card.

    python -m training.fusion --out onnx_models/fusion.json [--oof runs/field-cv/oof.npz]

Every dev item is read by both readers and fused (``checkocr.fusion``); the chosen amount is right or
wrong. Small gradient-boosted trees over the choice's facts predict that (each fact may only raise the
odds: monotonic constraints keep a handful of wrong readings from bending the fit). Its figures are
cross-validated: ``FOLDS`` folds over all items, each fold's probabilities from a model fitted without
it. The shipped trees are then fitted on every item (``BAGS`` fits on a share of them each, averaged).

Out of fold also means the *readers* never saw the item. The zero-shot field model saw none of the
dev sets. A field model fine-tuned on the dev fields must come with its cross-validation's
out-of-fold frames (``--oof``: names, frames), which then replace its frames for those fields; a
fine-tuned field model without them is refused. The digit model was fine-tuned on ORAND dev fields
(its card says how many): its readings of those are in-sample, which the card records.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import StratifiedKFold

from checkocr.assemble import Assembly
from checkocr.calibration import Calibrator, FusionCard, digit_weight_for
from checkocr.classifier import DigitClassifier
from checkocr.config import DEFAULT_FIELD_MODEL_PATH, DEFAULT_FUSION_CARD_PATH, DEFAULT_MODEL_PATH, Settings
from checkocr.field_crop import clean_crop, cut_field, field_model_input
from checkocr.field_model import FieldModel
from checkocr.field_reader import Ink, read_frames
from checkocr.fusion import FEATURES, Candidate, Context, amount_digits, candidates, choose, has_raised_cents
from checkocr.imageio import read_file_grey
from checkocr.labels import FIXES, read_labels
from checkocr.mnist import sha256_of
from checkocr.reader import Reader
from training.fusion_metrics import reliability_diagram, set_metrics

FOLDS = 5
SYNTH_SEED = 4242  # the development seed of the synthetic checks; evaluation seeds stay unseen
SYNTH_COUNT = 600
MAX_PIXELS = 40_000_000
# Small trees, slowly, averaged over BAGS fits on BAG_SHARE of the items each: chosen by 5-seed
# cross-validation of read rate at 1% wrong on the dev sets (docs/reading.md, "The calibrator"). A
# single fit ranks a different handful of wrong readings on top after any small change of the items;
# the average of ten is steady.
BAGS = 10
BAG_SHARE = 0.8
BAG_SEED = 0  # the draws are seeded: the same items give the same card
BOOSTING = {
    "max_iter": 75,
    "learning_rate": 0.05,
    "max_leaf_nodes": 4,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
}
PARITY_TOLERANCE = 1e-9  # the card, walked as served, against scikit-learn on every fitted item
# More of any fact never makes a reading less likely right; on_check only says which odds apply.
MONOTONIC = [0 if name == "on_check" else 1 for name in FEATURES]
WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0)  # digit-path weights tried in the choice
RAISED_WEIGHTS = (*WEIGHTS, 1.5, 2.0, 3.0)  # tried where the digit path read raised cents


@dataclass
class Item:
    """One dev item read by both readers: every candidate, each scored and judged, and the facts the
    choice needs. The choice itself is made later, for each digit weight tried (``choice``)."""

    set_name: str
    name: str
    candidates: list[Candidate]
    correct: list[bool]  # per candidate
    context: Context
    field_right: bool
    digits_right: bool
    digits_raised_cents: bool  # the digit path read raised cents (``has_raised_cents``)

    def choice(
        self, weight: float, raised_weight: float | None = None
    ) -> tuple[dict[str, float], bool, bool]:
        """(facts, right?, amount found?) of the fused choice at this digit weight (``raised_weight``
        where the digit path read raised cents, when given)."""
        use = digit_weight_for(self.digits_raised_cents, weight, raised_weight)
        fused = choose(self.candidates, self.context, use)
        if fused.chosen is None:
            return fused.features, False, False
        return fused.features, self.correct[self.candidates.index(fused.chosen)], True


def judge(
    assembly_amount: int | None, digits: str, truth_cents: int | None, truth_digits: str | None
) -> bool:
    """Right when the amount equals the truth (synthetic, IDRBT) or, where labels are digits only
    (ORAND), when the digit string equals the label."""
    if truth_cents is not None:
        return assembly_amount == truth_cents
    return assembly_amount is not None and digits == truth_digits


def digit_text(result: Assembly) -> str:
    return "".join(c.char for c in result.characters if c.kind == "digit")


def read_item(
    reader: Reader,
    grey: np.ndarray,
    region: str,
    oof: np.ndarray | None,
    fold_model: FieldModel | None = None,
) -> tuple[list[Candidate], float, Assembly, Assembly]:
    """(candidates, location confidence, field reading, digit reading) of one image, with the
    out-of-fold frames when given (``oof`` for this very crop, or the fold model that held it out)."""
    assert reader.field_model is not None
    location = reader.locate(grey, region)  # type: ignore[arg-type]
    field = cut_field(grey, location.reading_box, location.tilt)
    cleaned = clean_crop(field, location)
    digits = reader.read_digits(field, location, "auto", {}, cleaned)
    image = field_model_input(field, location, cleaned)  # as the reader gives it to the field model
    try:
        frames = (fold_model or reader.field_model).frames(image)
    except ValueError:
        return [], location.confidence, Assembly(None, None, 0.0, []), digits
    if oof is not None:
        frames = replace(frames, probs=oof.astype(np.float32))
    ink = Ink.of(image, lines_from=field.image)  # as the reader finds it
    field_reading = read_frames(frames, ink, "auto", field.to_image)
    found = candidates(frames, ink, field_reading, digits, "auto", field.to_image)
    return found, location.confidence, field_reading, digits


def collect(reader: Reader, data_dir: Path, oof: OutOfFold, synth_count: int) -> list[Item]:
    """Every dev item read by both readers: ORAND fields, IDRBT cheques, synthetic checks (dev seed)."""
    items: list[Item] = []

    def add(set_name: str, name: str, grey: np.ndarray, region: str, cents: int | None, label: str | None):
        key = f"{set_name}/{name}"
        same_crop = oof.frames.get(key) if region == "field" else None
        found, location, field_reading, digits = read_item(
            reader, grey, region, same_crop, oof.model_for(key)
        )
        correct = [judge(c.assembly.amount_cents, amount_digits(c.text), cents, label) for c in found]
        context = Context(
            field_reading.amount_cents,
            field_reading.confidence,
            digits.amount_cents,
            digits.confidence,
            location,
            on_check=region != "field",  # as the reader decides: a given field is not on a check
        )
        items.append(
            Item(
                set_name,
                name,
                found,
                correct,
                context,
                judge(field_reading.amount_cents, digit_text(field_reading), cents, label),
                judge(digits.amount_cents, digit_text(digits), cents, label),
                has_raised_cents(digits),
            )
        )

    orand = data_dir / "orand-car-a-dev"
    for name, label in read_labels(orand):
        add("orand", name, read_file_grey(orand / "images" / name, MAX_PIXELS), "field", None, label)
    idrbt = data_dir / "idrbt-cheques-dev"
    for name, label in read_labels(idrbt):
        grey = read_file_grey(idrbt / "images" / name, MAX_PIXELS)
        add("idrbt", name, grey, "auto", int(label) * 100, None)
    if synth_count:
        from checkocr.synth import MnistTestPool, write_dataset

        pool = MnistTestPool.from_data_dir(data_dir)
        with tempfile.TemporaryDirectory(prefix="checkocr-fusion-") as tmp:
            truths = write_dataset(Path(tmp), synth_count, SYNTH_SEED, pool, "check", "mixed", progress=False)
            for truth in truths:
                grey = read_file_grey(Path(tmp) / truth["image"], MAX_PIXELS)
                cents = round(float(truth["amount"]) * 100)
                add("synthetic", truth["image"], grey, "auto", cents, None)
    return items


def matrix(
    items: list[Item], weight: float, raised_weight: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Facts and outcomes of every item's choice at these digit weights, and which items have an amount
    (an item with none is a reading of confidence 0 at serving time: never calibrated, never posted)."""
    rows, right, found = [], [], []
    for item in items:
        features, ok, has_amount = item.choice(weight, raised_weight)
        rows.append([features[name] for name in FEATURES])
        right.append(ok)
        found.append(has_amount)
    return (
        np.asarray(rows, dtype=np.float64),
        np.asarray(right, dtype=bool),
        np.asarray(found, dtype=bool),
    )


def best_weight(items: list[Item]) -> float:
    """The digit weight whose choices are right most often on these items."""
    return max(WEIGHTS, key=lambda w: (int(matrix(items, w)[1].sum()), -abs(w - 1.0)))


def best_weights(items: list[Item]) -> tuple[float, float]:
    """(the digit weight for every item, the one where the digit path read raised cents): the first
    chosen on all items, as one weight; the second then on the raised-cents items alone (ties go to
    the first, so it moves only where it reads more of them right)."""
    weight = best_weight(items)
    raised = [item for item in items if item.digits_raised_cents]
    raised_weight = max(RAISED_WEIGHTS, key=lambda w: (int(matrix(raised, w)[1].sum()), -abs(w - weight)))
    return weight, raised_weight


@dataclass(frozen=True)
class Bagged:
    """Boosted-tree models fitted on random parts of the items; their log-odds are averaged."""

    models: list[HistGradientBoostingClassifier]

    def log_odds(self, x: np.ndarray) -> np.ndarray:
        return np.mean([m.decision_function(x) for m in self.models], axis=0)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-self.log_odds(x)))
        return np.stack([1.0 - p, p], axis=1)


def fit(x: np.ndarray, y: np.ndarray) -> Bagged:
    """BAGS monotonic boosted-tree models, each on BAG_SHARE of the items drawn without replacement."""
    rng = np.random.default_rng(BAG_SEED)
    size = max(1, round(BAG_SHARE * len(y)))
    models = []
    for _ in range(BAGS):
        part = np.sort(rng.choice(len(y), size, replace=False))
        model = HistGradientBoostingClassifier(**BOOSTING, monotonic_cst=MONOTONIC, random_state=0)
        models.append(model.fit(x[part], y[part]))
    return Bagged(models)


def card_trees(bagged: Bagged) -> tuple[float, list[dict[str, list]]]:
    """(baseline log-odds, every tree as the card stores it) of the averaged models: the mean of
    their baselines and all their trees, each leaf divided by the number of models.

    It reads the pinned scikit-learn's fitted trees (``_predictors``, ``_baseline_prediction``), which
    are not public API: ``parity`` checks every card written against ``predict_proba``, and
    tests/training/test_fusion_fit.py fails if a scikit-learn upgrade changes them."""
    share = 1.0 / len(bagged.models)
    trees = []
    for model in bagged.models:
        for (predictor,) in model._predictors:  # one tree per boosting round for two classes
            nodes = predictor.nodes
            leaf = nodes["is_leaf"].astype(bool)
            trees.append(
                {
                    "feature": np.where(leaf, -1, nodes["feature_idx"]).astype(int).tolist(),
                    "threshold": np.where(leaf, 0.0, nodes["num_threshold"]).astype(float).tolist(),
                    "left": np.where(leaf, 0, nodes["left"]).astype(int).tolist(),
                    "right": np.where(leaf, 0, nodes["right"]).astype(int).tolist(),
                    "value": np.where(leaf, share * nodes["value"], 0.0).astype(float).tolist(),
                }
            )
    baseline = float(np.mean([np.ravel(m._baseline_prediction)[0] for m in bagged.models]))
    return baseline, trees


def card_json(card: dict[str, object]) -> str:
    """The card as indented JSON with each tree on one line (750 trees stay readable)."""
    trees = card["trees"]
    assert isinstance(trees, list)
    marked = {**card, "trees": [f"@tree{i}@" for i in range(len(trees))]}
    text = json.dumps(marked, indent=2)
    for i, tree in enumerate(trees):
        text = text.replace(f'"@tree{i}@"', json.dumps(tree), 1)
    return text + "\n"


def parity(card: dict[str, object], model: Bagged, x: np.ndarray) -> float:
    """Largest difference between the card's probabilities (as served) and scikit-learn's."""
    calibrator = Calibrator(FusionCard.model_validate(card))
    ours = np.array([calibrator.probability(dict(zip(FEATURES, row, strict=True))) for row in x])
    return float(np.abs(ours - model.predict_proba(x)[:, 1]).max())


def out_of_fold(items: list[Item], seed: int) -> tuple[np.ndarray, np.ndarray, list[tuple[float, float]]]:
    """Each item's choice and probability from a weight and a calibrator fitted on the other folds
    (folds stratified by set and by whether the digit path was right)."""
    strata = [f"{i.set_name}/{int(i.field_right)}" for i in items]
    probability = np.zeros(len(items))
    right = np.zeros(len(items), dtype=bool)
    weights = []
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
    for train, test in folds.split(np.zeros(len(items)), strata):
        chosen = best_weights([items[i] for i in train])
        weights.append(chosen)
        x_train, y_train, found_train = matrix([items[i] for i in train], *chosen)
        x_test, y_test, found_test = matrix([items[i] for i in test], *chosen)
        model = fit(x_train[found_train], y_train[found_train])
        probability[test] = np.where(found_test, model.predict_proba(x_test)[:, 1], 0.0)
        right[test] = y_test
    return probability, right, weights


CODE_DIRS = ("checkocr", "segmentation", "training")  # the code that reads the items and fuses them


def cache_key(field_sha256: str, digit_sha256: str, oof: Path | None, synth_count: int) -> dict[str, object]:
    """What the cached items depend on: both models (their sha256, as their cards verified at load),
    the out-of-fold frames, the synthetic count and the reading and fusion code. A cache is reused
    only when every part is the same."""
    root = Path(__file__).resolve().parent.parent
    code = hashlib.sha256()
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*.py")):
            code.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return {
        "field_model": field_sha256,
        "digit_model": digit_sha256,
        "oof": sha256_of(oof) if oof else None,
        "synth_count": synth_count,
        "code": code.hexdigest(),
    }


def cached_items(path: Path, key: dict[str, object]) -> list[Item] | None:
    """The items in the cache at ``path`` when it was written for ``key``; None (read again) when it
    is missing or stale: a stale cache silently fits the card to another model's readings."""
    if not path.is_file():
        return None
    cached = pickle.loads(path.read_bytes())  # noqa: S301 - our own file, written by main()
    written_for = (cached.get("key") if isinstance(cached, dict) else None) or {}
    if written_for != key:
        changed = sorted(k for k in key if written_for.get(k) != key[k])
        print(f"cache {path} is stale ({', '.join(changed)} changed): reading the items again")
        return None
    return cached["items"]


@dataclass
class OutOfFold:
    """A fine-tuned field model's cross-validation: each real field's out-of-fold frames, which fold
    held each item out, and the fold models (to read what the frames do not cover, such as whole
    IDRBT cheques whose fold model saw only other cheques' amount boxes)."""

    frames: dict[str, np.ndarray]
    folds: dict[str, int]
    models: dict[int, FieldModel]

    @classmethod
    def load(cls, path: Path | None) -> OutOfFold:
        if path is None:
            return cls({}, {}, {})
        data = np.load(path, allow_pickle=True)
        names = [str(n) for n in data["names"]]
        frames = {n: np.asarray(f) for n, f in zip(names, data["frames"], strict=True)}
        folds = {n: int(k) for n, k in zip(names, data["fold"], strict=True)}
        models = {
            k: FieldModel(path.parent / f"fold{k}" / "field.onnx", threads=1)
            for k in sorted(set(folds.values()))
        }
        return cls(frames, folds, models)

    def model_for(self, key: str) -> FieldModel | None:
        return self.models.get(self.folds[key]) if key in self.folds else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_FUSION_CARD_PATH)
    parser.add_argument("--data-dir", type=Path, default=Settings().data_dir)
    parser.add_argument("--oof", type=Path, help="out-of-fold frames of a fine-tuned field model")
    parser.add_argument("--synth-count", type=int, default=SYNTH_COUNT)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--diagram", type=Path, help="write the reliability diagram (PNG) here")
    parser.add_argument(
        "--cache",
        type=Path,
        help="reuse (or write) the items read by both readers, with their fused candidates; read "
        "again when a model, the out-of-fold frames or the code changed since it was written",
    )
    parser.add_argument("--items-out", type=Path, help="also write every item's facts (JSONL)")
    args = parser.parse_args()
    start = time.perf_counter()
    field_model = FieldModel(DEFAULT_FIELD_MODEL_PATH, threads=1)
    fine_tuned = bool((field_model.card.model_extra or {}).get("training"))
    if fine_tuned and args.oof is None:
        raise SystemExit("the field model was fine-tuned on dev fields: pass its out-of-fold frames (--oof)")
    reader = Reader(DigitClassifier(DEFAULT_MODEL_PATH, threads=1), field_model=field_model)
    key = cache_key(field_model.card.sha256, reader.classifier.card.sha256, args.oof, args.synth_count)
    items = cached_items(args.cache, key) if args.cache else None
    if items is None:
        items = collect(reader, args.data_dir, OutOfFold.load(args.oof), args.synth_count)
        if args.cache:
            args.cache.write_bytes(pickle.dumps({"key": key, "items": items}))
    probability, chosen_right, fold_weights = out_of_fold(items, args.seed)
    metrics = set_metrics(items, probability, chosen_right)
    weight, raised_weight = best_weights(items)
    x, y, found = matrix(items, weight, raised_weight)
    model = fit(x[found], y[found])
    baseline, trees = card_trees(model)
    if args.items_out:
        with args.items_out.open("w") as handle:
            for item, p, ok in zip(items, probability, chosen_right, strict=True):
                row = {
                    "set": item.set_name,
                    "name": item.name,
                    "right": bool(ok),
                    "oof_probability": float(p),
                }
                row |= {
                    "field_right": item.field_right,
                    "digits_right": item.digits_right,
                    "agree": item.context.agree,
                }
                row["candidates"] = [
                    {
                        "text": c.text,
                        "amount": c.assembly.amount,
                        "field_logp": c.field_logp,
                        "digit_logp": c.digit_logp,
                        "sources": sorted(c.sources),
                        "right": r,
                    }
                    for c, r in zip(item.candidates, item.correct, strict=True)
                ]
                handle.write(json.dumps(row) + "\n")
    card = {
        "name": "fusion",
        "version": f"{datetime.now(UTC):%Y.%m.%d}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "features": list(FEATURES),
        "baseline": baseline,
        "trees": trees,
        "digit_weight": weight,
        "digit_weight_raised_cents": raised_weight,
        "field_model_sha256": field_model.card.sha256,
        "digit_model_sha256": reader.classifier.card.sha256,
        "training": {
            "method": "gradient-boosted trees (scikit-learn HistGradientBoostingClassifier, monotonic "
            "increasing in every fact but on_check) on the fused choice's facts; the log-odds of "
            f"{BAGS} such models, each fitted on {BAG_SHARE:.0%} of the items, averaged",
            "boosting": BOOSTING,
            "bagging": {"models": BAGS, "share_of_items": BAG_SHARE, "seed": BAG_SEED},
            "items": {s: sum(i.set_name == s for i in items) for s in sorted({i.set_name for i in items})},
            "synthetic": {"seed": SYNTH_SEED, "count": args.synth_count},
            "field_frames": "out-of-fold (--oof)" if args.oof else "zero-shot model: no dev field seen",
            "oof_sha256": sha256_of(args.oof) if args.oof else None,
            "labels_sha256": {
                "orand": sha256_of(args.data_dir / "orand-car-a-dev" / "labels.tsv"),
                "idrbt": sha256_of(args.data_dir / "idrbt-cheques-dev" / "labels.tsv"),
                "orand_fixes": sha256_of(FIXES),
            },
            "digit_model_note": "the digit model was fine-tuned on ORAND dev fields: in-sample there",
            "cross_validation": (
                f"{FOLDS} folds stratified by set and field-reader outcome, seed {args.seed}; the digit "
                "weights and the calibrator are all fitted without the fold (fold weights, plain and "
                f"raised cents: {fold_weights})"
            ),
            "digit_weights_tried": list(WEIGHTS),
            "digit_weights_raised_cents_tried": list(RAISED_WEIGHTS),
            "wall_time_s": round(time.perf_counter() - start, 1),
            "command": "python -m training.fusion --out onnx_models/fusion.json",
        },
        "metrics": {"cross_validated": metrics},
    }
    difference = parity(card, model, x[found])
    if difference > PARITY_TOLERANCE:
        raise SystemExit(f"the card's trees give probabilities {difference:.2e} away from scikit-learn's")
    card["training"]["parity_max_abs_diff"] = difference  # type: ignore[index]
    args.out.write_text(card_json(card))
    if args.diagram:
        reliability_diagram(metrics, args.diagram)
    summary = {s: {k: v for k, v in m.items() if k != "reliability"} for s, m in metrics.items()}
    print(f"digit weight {weight}, {raised_weight} where the digit path read raised cents")
    print(
        json.dumps(
            {"trees": len(trees), "baseline": baseline, "metrics": summary},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
