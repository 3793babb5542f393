"""The field recogniser's fine-tune: synthetic labels match what is drawn, the quick path end to end
(train, export, parity, card loads with FieldModel), and ``--resume`` continuing from a checkpoint."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tests.cli import run_checkocr

pytest.importorskip("torch", reason="field fine-tuning needs the train extra (torch, onnx2torch)")
pytest.importorskip("onnx2torch", reason="field fine-tuning needs the train extra (torch, onnx2torch)")

from checkocr.field_model import FieldModel
from checkocr.synth.pool import MnistTestPool
from training import field_finetune as ff
from training import field_synth as fs

PATTERNS = {
    "us": re.compile(
        r"^(\$?\d{1,3}(,\d{3})*(\.\d\d)?|\$?\d+(\.\d\d)?|\*{1,3}\d{1,3}(,\d{3})*\.\d\d|\d{1,3}(,\d{3})*\d\d/100|\d{1,3}(,\d{3})*\d\d)$"
    ),
    "latam": re.compile(r"^(\d{1,3}([.,]\d{3})*|\d+)(\.-|-|=)?$"),
    "indian": re.compile(r"^₹(\d{1,2}(,\d\d)*,\d{3}|\d{1,3}|\d+)(/-|-|\.00)?$"),
}


def tiny_pool() -> MnistTestPool:
    """Ten blocky digits drawn with cv2: enough to exercise the generator without MNIST."""
    import cv2

    images = np.zeros((10, 28, 28), np.uint8)
    for d in range(10):
        cv2.putText(images[d], str(d), (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    return MnistTestPool(images, np.arange(10))


@pytest.fixture(scope="module")
def base_model() -> Path:
    if not ff.BASE_MODEL.is_file():
        pytest.skip(f"{ff.BASE_MODEL} not built (python -m training.field_model)")
    return ff.BASE_MODEL


@pytest.mark.parametrize("convention", fs.CONVENTIONS)
def test_synthetic_labels_follow_the_convention_and_the_alphabet(convention: str) -> None:
    pool = tiny_pool()
    alphabet = "0123456789.,-/=*$₹"
    for i in range(40):
        rng = np.random.default_rng([5, i])
        label, tokens, fmt = fs.compose(convention, rng)
        assert set(label) <= set(alphabet), label
        assert PATTERNS[convention].match(label), (convention, fmt, label)
        drawn = "".join(t.char for t in tokens if t.kind != "space")
        assert drawn == label, (fmt, drawn, label)  # what is drawn is the label, character for character
    grey, label, _ = fs.synthetic_field(convention, pool, np.random.default_rng(3), fonts=())
    assert grey.dtype == np.uint8 and grey.ndim == 2 and grey.shape[0] >= 8
    assert grey.min() < 120 < grey.max()  # ink on paper


def test_lakh_grouping() -> None:
    assert fs.group(125000, ",", indian=True) == "1,25,000"
    assert fs.group(8800000, ",", indian=True) == "88,00,000"
    assert fs.group(999, ",", indian=True) == "999"
    assert fs.group(25441, ".") == "25.441"


def test_trainable_module_matches_onnxruntime(base_model: Path) -> None:
    import onnxruntime as ort
    import torch

    model = ff.trainable(base_model).eval()
    assert any(p.numel() == 120 * 19 for p in model.parameters())  # the head is trainable
    session = ort.InferenceSession(str(base_model), providers=["CPUExecutionProvider"])
    batch = np.random.default_rng(0).uniform(-1, 1, (2, 3, 48, 320)).astype(np.float32)
    with torch.no_grad():
        ours = torch.softmax(model(torch.from_numpy(batch)), -1).numpy()
    assert np.abs(ours - session.run(None, {"image": batch})[0]).max() < 1e-4


def test_quick_run_end_to_end_and_resume(tmp_path: Path, data_dir: Path, base_model: Path) -> None:
    if not (data_dir / "orand-car-a-dev" / "labels.tsv").is_file():
        pytest.skip(f"ORAND dev fields not found under {data_dir}")
    options = ff.FieldTrainOptions(
        data_dir=data_dir,
        out_dir=tmp_path / "run",
        quick=True,
        folds=2,
        steps=4,
        batch=4,
        synth_eval=30,
        min_width=160,
    )
    card = ff.run(options)
    model = FieldModel(tmp_path / "run" / "field.onnx")  # card and sha256 check out
    assert model.alphabet == FieldModel(base_model).alphabet
    # float32 kernels differ between torch and onnxruntime: up to ~3e-4 on real fields, same best path
    parity = card["metrics"]["parity_torch_vs_onnxruntime"]
    assert parity["max_abs_diff"] < 1e-3 and parity["argmax_agreement"] > 0.999
    assert card["input"]["min_width"] == 160  # the width it was trained at is the served contract
    assert model.prepare(np.full((40, 100), 255, np.uint8))[0].shape[3] == 160
    oof = np.load(tmp_path / "run-cv" / "oof.npz", allow_pickle=True)
    assert len(oof["names"]) == len(oof["frames"]) == len(oof["labels"])
    assert all(f.shape[1] == 19 for f in oof["frames"])
    assert {int(k) for k in oof["fold"]} == {0, 1}
    import torch

    # --resume: a run that stopped with its checkpoint at step 2 continues from there to step 4.
    real = [ff.Example(np.full((40, 120), 255, np.uint8), "12")]
    base = FieldModel(base_model)
    pool = tiny_pool()
    first = ff.FieldTrainOptions(data_dir=data_dir, out_dir=tmp_path, steps=2, batch=2, checkpoint_every=1)
    _, facts = ff.train_run(tmp_path / "resume", real, pool, first, base)
    assert facts["steps"] == 2 and (tmp_path / "resume" / "checkpoint.pt").is_file()
    resumed = ff.FieldTrainOptions(data_dir=data_dir, out_dir=tmp_path, steps=4, batch=2, resume=True)
    _, facts = ff.train_run(tmp_path / "resume", real, pool, resumed, base)
    assert facts["steps"] == 4 and facts["resumed_from_step"] == 2
    # --init-from: a new run starts from that run's weights, not the base's.
    stopped = torch.load(tmp_path / "resume" / "checkpoint.pt", weights_only=False)["model"]
    again = ff.FieldTrainOptions(data_dir=data_dir, out_dir=tmp_path, steps=0, batch=2)
    continued, facts = ff.train_run(
        tmp_path / "init", real, pool, again, base, tmp_path / "resume" / "checkpoint.pt"
    )
    assert all(torch.equal(continued.state_dict()[k], v) for k, v in stopped.items())
    assert "resume/checkpoint.pt" in facts["started_from"]
    fresh, _ = ff.train_run(tmp_path / "fresh", real, pool, again, base)
    assert any(not torch.equal(fresh.state_dict()[k], v) for k, v in stopped.items())
    # --start-weight: the exported weights lie between the start and where training went.
    one_step = ff.FieldTrainOptions(data_dir=data_dir, out_dir=tmp_path, steps=1, batch=2)
    trained, _ = ff.train_run(tmp_path / "one", real, pool, one_step, base)
    halfway = ff.FieldTrainOptions(data_dir=data_dir, out_dir=tmp_path, steps=1, batch=2, start_weight=0.5)
    middle, facts = ff.train_run(tmp_path / "half", real, pool, halfway, base)
    start = fresh.state_dict()  # the base's weights: what both runs started from
    moved = [
        k for k, v in trained.state_dict().items() if v.is_floating_point() and not torch.equal(v, start[k])
    ]
    assert moved and facts["start_weight"] == 0.5
    for k in moved:
        assert torch.allclose(middle.state_dict()[k], (trained.state_dict()[k] + start[k]) / 2, atol=1e-6)
    # a later --init-from continues from the averaged weights this run exported, not its checkpoint
    (tmp_path / "half-cv" / "fold0").mkdir(parents=True)
    for name in ("checkpoint.pt", ff.EXPORTED):
        (tmp_path / "half" / name).rename(tmp_path / "half-cv" / "fold0" / name)
    later = ff.FieldTrainOptions(data_dir=data_dir, out_dir=tmp_path, init_from=tmp_path / "half")
    assert ff.start_checkpoint(later, 0) == tmp_path / "half-cv" / "fold0" / ff.EXPORTED
    exported = torch.load(ff.start_checkpoint(later, 0), weights_only=False)["model"]
    assert all(torch.equal(exported[k], middle.state_dict()[k]) for k in moved)


def test_init_from_names_each_runs_checkpoint_and_refuses_a_missing_one(tmp_path: Path) -> None:
    """Fold k continues from fold k of the earlier run (its held-out fold stays unseen), the final
    run from the earlier final run; a missing checkpoint is an error that names it."""
    earlier = tmp_path / "field-v2"
    for run in (tmp_path / "field-v2-cv" / "fold1", earlier / "final"):
        run.mkdir(parents=True)
        (run / "checkpoint.pt").write_bytes(b"")
    options = ff.FieldTrainOptions(data_dir=tmp_path, out_dir=tmp_path / "v3", init_from=earlier)
    assert ff.start_checkpoint(options, 1) == tmp_path / "field-v2-cv" / "fold1" / "checkpoint.pt"
    assert ff.start_checkpoint(options, None) == earlier / "final" / "checkpoint.pt"
    with pytest.raises(FileNotFoundError, match=r"fold0/checkpoint\.pt"):
        ff.start_checkpoint(options, 0)
    assert ff.start_checkpoint(ff.FieldTrainOptions(data_dir=tmp_path, out_dir=tmp_path), 0) is None


def test_init_from_refuses_a_run_whose_folds_held_out_other_fields(tmp_path: Path) -> None:
    """Continuing fold models split another way would train each on fields it is then scored on."""
    earlier = tmp_path / "field-v2"
    (tmp_path / "field-v2-cv").mkdir()
    names = ["orand/a.png", "orand/b.png", "idrbt/c.jpg"]
    np.savez(tmp_path / "field-v2-cv" / "oof.npz", names=np.array(names), fold=np.array([0, 1, 0]))
    ff.require_same_folds(earlier, names, [0, 1, 0])  # the same split: fine
    with pytest.raises(ValueError, match="2 of 3 fields are in another fold"):
        ff.require_same_folds(earlier, names, [1, 0, 0])
    with pytest.raises(FileNotFoundError, match=r"oof\.npz is missing"):
        ff.require_same_folds(tmp_path / "nowhere", names, [0, 1, 0])


def test_cli_names_a_missing_dataset_in_one_line(tmp_path: Path) -> None:
    """A data folder without the dev fields is a one-line error (exit 2), not a traceback."""
    result = run_checkocr(
        "train-field", "--data-dir", str(tmp_path), "--out", str(tmp_path / "out"), "--quick", timeout=300
    )
    assert result.returncode == 2
    assert "orand-car-a-dev/labels.tsv" in result.stderr and "Traceback" not in result.stderr


def test_check_fields_are_cut_as_the_reader_cuts_them_and_labelled_with_the_handwriting() -> None:
    """Each example is a located field (rules painted out) whose label is the check's written glyphs."""
    from checkocr.synth import generate_check
    from training.field_checks import check_field

    alphabet = "0123456789.,-/=*$₹"
    examples = 0
    for seed in range(6):
        example = check_field(tiny_pool(), np.random.default_rng(seed), alphabet)
        _grey, truth = generate_check(np.random.default_rng(seed), tiny_pool())  # the same check again
        if example is None:
            continue
        image, label = example
        examples += 1
        assert label == "".join(g["char"] for g in truth["glyphs"])
        assert set(label) <= set(alphabet) and any(ch.isdigit() for ch in label)
        assert image.dtype == np.uint8 and image.ndim == 2 and image.shape[0] >= 20
    assert examples >= 4  # the reader finds most synthetic checks' fields


def test_check_fields_are_written_in_the_formats_asked_for() -> None:
    """``--check-formats``: a run weighted towards raised cents cuts its fields from checks written in
    those formats only, and the default (every format once) draws the very checks that training drew
    before the option existed."""
    from checkocr.synth import FORMATS, SynthOptions, generate_check
    from training.field_checks import check_field

    alphabet = "0123456789.,-/=*$₹"
    asked = ("raised_cents", "raised_cents", "fraction")
    for seed in range(4):
        _grey, truth = generate_check(np.random.default_rng(seed), tiny_pool(), SynthOptions(formats=asked))
        assert truth["format"] in asked
        example = check_field(tiny_pool(), np.random.default_rng(seed), alphabet, asked)
        if example is not None:
            assert example[1] == "".join(g["char"] for g in truth["glyphs"])
        before, _ = generate_check(np.random.default_rng(seed), tiny_pool())
        default, _ = generate_check(np.random.default_rng(seed), tiny_pool(), SynthOptions(formats=FORMATS))
        assert np.array_equal(before, default)


def test_cli_refuses_an_unknown_check_format_in_one_line(tmp_path: Path) -> None:
    result = run_checkocr(
        "train-field", "--out", str(tmp_path / "out"), "--check-formats", "raised_cents,roman", timeout=120
    )
    assert result.returncode == 2
    assert "unknown amount formats ['roman']" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_refuses_no_final_without_folds_in_one_line(tmp_path: Path) -> None:
    """--no-final keeps only the folds' out-of-fold frames: with no folds it would do nothing."""
    result = run_checkocr(
        "train-field", "--out", str(tmp_path / "out"), "--folds", "0", "--no-final", timeout=120
    )
    assert result.returncode == 2
    assert "--no-final needs folds to run" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
