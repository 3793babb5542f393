"""Fine-tunes the field recogniser (``onnx_models/field-base.onnx``) on real and synthetic amount fields.

    checkocr train-field --out runs/field            # needs the train extra (torch, onnx2torch)

The base ONNX becomes a trainable PyTorch module with onnx2torch (checked against onnxruntime on real
fields), is trained with CTC loss on the serving preprocessing (``FieldModel.prepare``) of augmented
real fields, synthetic fields (``training.field_synth``) and fields cut from whole synthetic checks as
the reader cuts them (``training.field_checks``), and is exported back to ONNX with a parity
check and a ``FieldModelCard``. With ``--folds k`` it first fine-tunes k fold models, each without one
fold of the real fields, reads that fold with the exported model through ``FieldModel`` (the serving
path) and keeps every real field's out-of-fold frame probabilities in ``<out>-cv/oof.npz``; the
final model is then trained on all real fields. Each run checkpoints so ``--resume`` continues it.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# OpenMP threads that spin while waiting collapse when the 2 cores are shared: measured here under a
# load of 3, one training step took 12-15 s with 2 spinning threads and 2.6 s with passive waiting.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from checkocr.ctc import best_path
from checkocr.field_model import FieldModel
from checkocr.mnist import sha256_of
from checkocr.synth import FORMATS
from training import field_data as fd
from training import field_synth as fs
from training.field_card import save_oof, write_card
from training.field_checks import check_field
from training.field_torch import export, parity, train_mode, trainable

log = logging.getLogger("checkocr.train_field")
BASE_MODEL = Path(__file__).resolve().parent.parent / "onnx_models" / "field-base.onnx"
NAME = "field"
EXPORTED = "exported.pt"  # a run's exported weights, when they differ from its last checkpoint


@dataclass
class FieldTrainOptions:
    data_dir: Path
    out_dir: Path
    base_model: Path = BASE_MODEL
    folds: int = 3
    seed: int = 20261206
    steps: int = 450  # the shipped recipe; docs/field-model.md has the runs behind it
    budget_s: float = 2700.0  # per run (each fold and the final): 45 minutes; steps stop early past it
    batch: int = 16
    lr: float = 2e-4
    synth_share: float = 0.4  # of each batch
    check_share: float = 0.35  # of the synthetic part: fields cut from whole checks (field_checks.py)
    # The amount formats those checks are drawn from, uniformly: a format named twice is drawn twice
    # as often (the formats the reader gets wrong most can be given more of the batch).
    check_formats: tuple[str, ...] = FORMATS
    quick: bool = False
    resume: bool = False
    threads: int = 2
    checkpoint_every: int = 20
    synth_eval: int = 300  # held-out synthetic fields (a seed training never uses), per run evaluated
    # Inputs are padded to this width (the exported card's contract). The model's cost grows with the
    # width and most fields are narrower than 160 columns at height 48, but trained and read at 160 it
    # read fewer fields right (docs/history.md): the shipped recipe keeps the base's 320.
    min_width: int = 320
    # A previous run's --out to continue from: fold k starts from the weights <init>-cv/fold<k>
    # exported and the final run from those of <init>/final, so every fold model still never sees its
    # held-out fold (the fold split is a function of the seed, which must be the previous run's).
    init_from: Path | None = None
    # The exported weights are (1 - start_weight) x trained + start_weight x the run's start (WiSE-FT,
    # Wortsman et al. 2022): averaging the start and the end of a continued fine-tune read more real
    # and more synthetic fields than either end (docs/field-model.md). 0 exports the trained weights.
    start_weight: float = 0.0
    cv_only: bool = False  # stop after the folds (no final model)
    final_only: bool = False  # skip the folds
    command: str = field(default_factory=lambda: " ".join(["checkocr", *map(shlex.quote, sys.argv[1:])]))


# --- the trainable model ---------------------------------------------------------------------------


def best_text(probs: np.ndarray, alphabet: str) -> str:
    return "".join(alphabet[c.label - 1] for c in best_path(probs))


def read_all(model_path: Path, greys: list[np.ndarray]) -> tuple[list[np.ndarray], list[str], float]:
    """Frames and best-path strings through the serving path (``FieldModel``, one thread), p50 ms."""
    model = FieldModel(model_path, threads=1)
    model.warm_up()
    frames, texts, times = [], [], []
    for grey in greys:
        t = time.perf_counter()
        result = model.frames(grey)
        times.append(time.perf_counter() - t)
        frames.append(result.probs)
        texts.append(best_text(result.probs, result.alphabet))
    return frames, texts, 1000 * float(np.median(times)) if times else 0.0


# --- training --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    grey: np.ndarray
    target: str  # over the field alphabet


class Batches:
    """Each step's batch, a pure function of (seed, step): real fields augmented and synthetic fields
    drawn fresh, all through the serving preprocessing, from one width bucket where possible."""

    def __init__(self, real: list[Example], pool, prepare, alphabet: str, options: FieldTrainOptions) -> None:
        self.real, self.pool, self.prepare, self.alphabet, self.options = (
            real,
            pool,
            prepare,
            alphabet,
            options,
        )
        self.real_buckets: dict[int, list[int]] = {}
        for i, ex in enumerate(real):
            width = prepare(ex.grey)[0].shape[3]
            self.real_buckets.setdefault(fd.width_bucket(width, options.min_width), []).append(i)

    def __call__(self, step: int) -> tuple[np.ndarray, list[str]]:
        rng = np.random.default_rng([self.options.seed, 1, step])
        size = self.options.batch
        synth = round(size * self.options.synth_share) if self.real else size
        candidates: list[tuple[np.ndarray, str]] = []
        if self.real:
            keys = sorted(self.real_buckets)
            weights = np.array([len(self.real_buckets[k]) for k in keys], dtype=float)
            members = self.real_buckets[keys[int(rng.choice(len(keys), p=weights / weights.sum()))]]
            for i in rng.choice(members, size=size - synth, replace=len(members) < size - synth):
                ex = self.real[int(i)]
                candidates.append((self.prepare(fd.augment(ex.grey, rng))[0], ex.target))
        for _ in range(synth):
            if rng.random() < self.options.check_share:
                example = check_field(self.pool, rng, self.alphabet, self.options.check_formats)
                if example is not None:  # the reader would find this check's field
                    candidates.append((self.prepare(example[0])[0], example[1]))
                    continue
            grey, label, _fmt = fs.synthetic_field(fs.CONVENTIONS[int(rng.integers(3))], self.pool, rng)
            candidates.append((self.prepare(fd.augment(grey, rng) if rng.random() < 0.5 else grey)[0], label))
        candidates.sort(key=lambda c: c[0].shape[3])
        inputs = [c[0] for c in candidates]
        return fd.collate(inputs, 0.0, self.options.min_width), [c[1] for c in candidates]


def ctc_loss(model: nn.Module, batch: np.ndarray, targets: list[str], alphabet: str) -> torch.Tensor:
    logits = model(torch.from_numpy(batch))  # [N, T, C]
    log_probs = F.log_softmax(logits, dim=-1).transpose(0, 1)  # [T, N, C]
    labels = torch.tensor([alphabet.index(ch) + 1 for t in targets for ch in t], dtype=torch.long)
    lengths = torch.tensor([len(t) for t in targets], dtype=torch.long)
    inputs = torch.full((len(targets),), log_probs.shape[0], dtype=torch.long)
    return F.ctc_loss(log_probs, labels, inputs, lengths, blank=0, reduction="mean", zero_infinity=True)


def learning_rate(step: int, steps: int, peak: float) -> float:
    warm = max(1, min(20, steps // 10))
    if step < warm:
        return peak * (step + 1) / warm
    progress = (step - warm) / max(1, steps - warm)
    return peak * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * min(1.0, progress))))


def start_checkpoint(options: FieldTrainOptions, fold: int | None) -> Path | None:
    """The weights a run continues from (None: the base model): those the matching run of
    ``init_from`` exported (its averaged weights with ``--start-weight``, else its last checkpoint).

    Torch weights, not the exported ONNX: onnx2torch turns an exported fine-tune into a module whose
    attention reshapes are fixed to the export's width, and it then fails on any other width."""
    if options.init_from is None:
        return None
    init = options.init_from
    run_dir = init.with_name(f"{init.name}-cv") / f"fold{fold}" if fold is not None else init / "final"
    path = run_dir / EXPORTED
    if not path.is_file():  # a run without --start-weight exported its last checkpoint's weights
        path = run_dir / "checkpoint.pt"
    if not path.is_file():
        raise FileNotFoundError(
            f"--init-from {init}: {path} is missing (run that fine-tune with the same --folds)"
        )
    return path


def require_same_folds(init: Path, names: list[str], fold_of: list[int]) -> None:
    """Refuse to continue fold models whose held-out folds were other fields: fold k of this run
    would then train on fields that the earlier fold k model was scored on, and the reverse."""
    oof_path = init.with_name(f"{init.name}-cv") / "oof.npz"
    if not oof_path.is_file():
        raise FileNotFoundError(f"--init-from {init}: {oof_path} is missing (its folds are unknown)")
    earlier = np.load(oof_path, allow_pickle=True)
    theirs = dict(zip((str(n) for n in earlier["names"]), (int(k) for k in earlier["fold"]), strict=True))
    differ = [n for n, k in zip(names, fold_of, strict=True) if theirs.get(n) != k]
    if differ:
        raise ValueError(
            f"--init-from {init}: {len(differ)} of {len(names)} fields are in another fold there "
            f"(first: {differ[0]}); use that run's --seed, --folds and data"
        )


def train_run(
    run_dir: Path,
    real: list[Example],
    pool,
    options: FieldTrainOptions,
    base: FieldModel,
    start: Path | None = None,
) -> tuple[nn.Module, dict[str, object]]:
    """One fine-tune from the base model, or from the weights in checkpoint ``start``; checkpoints to
    ``run_dir/checkpoint.pt`` as it goes."""
    torch.manual_seed(options.seed)
    model = trainable(options.base_model)
    if start is not None:
        model.load_state_dict(torch.load(start, weights_only=False)["model"])
    start_state = {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}
    optimiser = torch.optim.AdamW(model.parameters(), lr=options.lr, weight_decay=1e-4)
    batches = Batches(real, pool, base.prepare, base.alphabet, options)
    checkpoint = run_dir / "checkpoint.pt"
    step, elapsed, losses = 0, 0.0, []
    resumed_from = 0
    if options.resume and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimiser"])
        step, elapsed, losses = state["step"], state["elapsed"], state["losses"]
        resumed_from = step
        log.info("%s: resumed at step %d (%.0f s done)", run_dir.name, step, elapsed)
    run_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter() - elapsed
    while step < options.steps and time.perf_counter() - started < options.budget_s:
        batch, targets = batches(step)
        train_mode(model)
        for group in optimiser.param_groups:
            group["lr"] = learning_rate(step, options.steps, options.lr)
        loss = ctc_loss(model, batch, targets, base.alphabet)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimiser.step()
        losses.append(loss.item())
        step += 1
        if step % 10 == 0:
            log.info(
                "%s step %d loss %.3f (%.0f s)",
                run_dir.name,
                step,
                np.mean(losses[-10:]),
                time.perf_counter() - started,
            )
        if step % options.checkpoint_every == 0 or step == options.steps:
            state = {
                "model": model.state_dict(),
                "optimiser": optimiser.state_dict(),
                "step": step,
                "elapsed": time.perf_counter() - started,
                "losses": losses,
            }
            torch.save(state, checkpoint.with_suffix(".tmp"))
            os.replace(checkpoint.with_suffix(".tmp"), checkpoint)
    model.eval()
    if options.start_weight > 0:
        model.load_state_dict(averaged(model.state_dict(), start_state, options.start_weight))
        # The checkpoint keeps the trained weights (for --resume); a later --init-from starts from
        # the weights this run exports.
        torch.save({"model": model.state_dict()}, run_dir / EXPORTED)
    wall = time.perf_counter() - started
    facts = {
        "started_from": f"{start} (sha256 {sha256_of(start)})" if start else options.base_model.name,
        "start_weight": options.start_weight,
        "steps": step,
        "resumed_from_step": resumed_from,
        "batch": options.batch,
        "examples_seen": step * options.batch,
        "wall_s": round(wall, 1),
        "loss_first10": round(float(np.mean(losses[:10])), 4) if losses else None,
        "loss_last10": round(float(np.mean(losses[-10:])), 4) if losses else None,
    }
    return model, facts


def averaged(trained: dict[str, torch.Tensor], start: dict[str, torch.Tensor], start_weight: float):
    """``(1 - start_weight) x trained + start_weight x start``, tensor by tensor; integer buffers (a
    batch-norm's step count) are the trained ones."""
    return {
        name: (1 - start_weight) * tensor + start_weight * start[name]
        if tensor.is_floating_point()
        else tensor
        for name, tensor in trained.items()
    }


def real_targets(fields: list[fd.RealField], base_texts: list[str]) -> list[Example]:
    """A real field's CTC target: the base model's full reading (marks included) when its digits are
    the label's, otherwise the label's digits alone (real labels carry no marks)."""
    return [
        Example(f.grey, text if fd.digits_only(text) == f.digits else f.digits)
        for f, text in zip(fields, base_texts, strict=True)
    ]


def exact(texts: list[str], labels: list[str]) -> int:
    return sum(fd.digits_only(t) == label for t, label in zip(texts, labels, strict=True))


def synthetic_eval(model_path: Path, pool, options: FieldTrainOptions) -> dict[str, object]:
    """Full-string and digits-only exact per convention on a held-out seed (``seed + 1000``)."""
    count = 30 if options.quick else options.synth_eval
    items = fs.synthetic_set(pool, count, options.seed + 1000)
    _frames, texts, _ = read_all(model_path, [g for g, _, _ in items])
    out: dict[str, object] = {"seed": options.seed + 1000, "fields": count}
    for k, convention in enumerate(fs.CONVENTIONS):
        rows = [(t, lab) for i, (t, (_, lab, _)) in enumerate(zip(texts, items, strict=True)) if i % 3 == k]
        out[convention] = {
            "fields": len(rows),
            "exact_string": sum(t == lab for t, lab in rows),
            "exact_digits": sum(fd.digits_only(t) == fd.digits_only(lab) for t, lab in rows),
        }
    return out


def held_out_pool(data_dir: Path):
    """Evaluation draws MNIST test digits (never trained on) so synthetic figures are held out."""
    from checkocr.synth.pool import MnistTestPool

    return MnistTestPool.from_data_dir(data_dir)


def at_min_width(base: FieldModel, min_width: int) -> FieldModel:
    """The base model fed as the fine-tune will be: the same, but padded to ``min_width`` columns."""
    narrowed = copy.copy(base)
    narrowed.card = base.card.model_copy(
        update={"input": base.card.input.model_copy(update={"min_width": min_width})}
    )
    return narrowed


def prepared_batches(base: FieldModel, greys: list[np.ndarray]) -> list[np.ndarray]:
    return [base.prepare(g)[0] for g in greys]


def run(options: FieldTrainOptions) -> dict[str, object]:
    """Cross-validation (unless ``final_only``), then the final model on all real fields + its card."""
    torch.set_num_threads(options.threads)
    started = time.perf_counter()
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    cv_dir = out.with_name(f"{out.name}-cv")  # runs/field -> runs/field-cv (fold models, oof.npz)
    base = at_min_width(FieldModel(options.base_model, threads=1), options.min_width)
    fields = fd.orand_fields(options.data_dir) + fd.idrbt_amount_fields(options.data_dir)
    if options.quick:
        fields = fields[:24] + [f for f in fields if f.group == "idrbt"][:6]
    labels = [f.digits for f in fields]
    base_frames, base_texts, _ = read_all(options.base_model, [f.grey for f in fields])
    examples = real_targets(fields, base_texts)
    fold_of = fd.folds(fields, options.folds, options.seed)
    if options.init_from is not None and not options.final_only:
        require_same_folds(options.init_from, [f.name for f in fields], fold_of)
    pool = fs.mnist_train_pool(options.data_dir)
    if options.quick:
        options.steps, options.synth_eval = min(options.steps, 6), 30
    cv: list[dict[str, object]] = []
    oof: list[np.ndarray | None] = [None] * len(fields)
    oof_texts: list[str] = [""] * len(fields)
    if not options.final_only:
        for k in range(options.folds):
            train_idx = [i for i in range(len(fields)) if fold_of[i] != k]
            test_idx = [i for i in range(len(fields)) if fold_of[i] == k]
            run_dir = cv_dir / f"fold{k}"
            model, facts = train_run(
                run_dir, [examples[i] for i in train_idx], pool, options, base, start_checkpoint(options, k)
            )
            path = run_dir / "field.onnx"
            export(model, path)
            write_card(path, options, facts, {}, base)
            frames, texts, _ = read_all(path, [fields[i].grey for i in test_idx])
            for i, f, t in zip(test_idx, frames, texts, strict=True):
                oof[i], oof_texts[i] = f, t
            row: dict[str, object] = {
                "fold": k,
                "trained_on": len(train_idx),
                "held_out": len(test_idx),
                **facts,
            }
            for group in ("orand", "idrbt"):
                idx = [j for j, i in enumerate(test_idx) if fields[i].group == group]
                row[group] = {
                    "held_out": len(idx),
                    "exact_base": exact(
                        [base_texts[test_idx[j]] for j in idx], [labels[test_idx[j]] for j in idx]
                    ),
                    "exact_finetuned": exact([texts[j] for j in idx], [labels[test_idx[j]] for j in idx]),
                }
            cv.append(row)
            log.info("fold %d: %s", k, json.dumps(row))
            (cv_dir / "cv.json").write_text(json.dumps(cv, indent=2) + "\n")
        save_oof(cv_dir / "oof.npz", fields, oof, oof_texts, fold_of, base_frames)
        if options.cv_only:
            return {"cross_validation": cv, "totals": cv_totals(cv)}
    model, facts = train_run(out / "final", examples, pool, options, base, start_checkpoint(options, None))
    path = out / f"{NAME}.onnx"
    export(model, path)
    parity_fields = [f.grey for f in fields[:: max(1, len(fields) // 100)]]
    metrics: dict[str, object] = {
        "parity_torch_vs_onnxruntime": parity(model, path, prepared_batches(base, parity_fields)),
    }
    write_card(path, options, facts, metrics, base)
    synth_eval = synthetic_eval(path, held_out_pool(options.data_dir), options)
    synth_base = synthetic_eval(options.base_model, held_out_pool(options.data_dir), options)
    _, _, p50 = read_all(path, [f.grey for f in fields if f.group == "orand"][:200])
    _, _, p50_base = read_all(options.base_model, [f.grey for f in fields if f.group == "orand"][:200])
    metrics.update(
        {
            "cross_validation": {"folds": cv, "totals": cv_totals(cv)} if cv else None,
            "synthetic_held_out": {"finetuned": synth_eval, "base": synth_base},
            "p50_ms_per_field_one_thread": {
                "finetuned": round(p50, 2),
                "base": round(p50_base, 2),
                "fields": 200,
            },
            "total_wall_s": round(time.perf_counter() - started, 1),
        }
    )
    card = write_card(path, options, facts, metrics, base)
    return card


def cv_totals(cv: list[dict]) -> dict[str, object]:
    totals: dict[str, object] = {}
    for group in ("orand", "idrbt"):
        held = sum(r[group]["held_out"] for r in cv)
        totals[group] = {
            "held_out": held,
            "exact_base": sum(r[group]["exact_base"] for r in cv),
            "exact_finetuned": sum(r[group]["exact_finetuned"] for r in cv),
        }
    return totals
