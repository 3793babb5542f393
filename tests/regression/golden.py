"""The golden readings: what the reader returns today for the ORAND dev fields and seeded synthetic checks.

``tests/regression/golden_readings.json`` holds, per item and per reader, the amount, the characters
string and the decision ("post" or "review" at the default accept threshold) of its reading, so a
retuned threshold or confidence factor shows up as well as a changed string.
``test_golden_readings.py`` reads every item again and names every item whose reading changed. After
a change that is meant to change readings (a new model, a retuned threshold), measure it
(``python -m bench.read_accuracy``) and regenerate the file from the repository root::

    python -m tests.regression.golden --write                  # readers as listed in the JSON
    python -m tests.regression.golden --write --readers digits,field,fused

Without ``--write`` it prints the items that flipped, as the test does. The items: every labelled ORAND
CAR-A dev field (``region="field"``) and ``SYNTH_COUNT`` whole synthetic checks made from MNIST test
digits with ``SYNTH_SEED`` (``region="auto"``: locate, clean, split, classify, assemble).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

GOLDEN_PATH = Path(__file__).with_name("golden_readings.json")
SYNTH_SEED = 1818
SYNTH_COUNT = 200
ORAND = "orand-car-a-dev"


def data_problem(data_dir: Path | None) -> str | None:
    """Why the golden items cannot be read here (None when they can)."""
    if data_dir is None or not data_dir.is_dir():
        return "no dataset folder: set CHECKOCR_DATA_DIR or provide ../shared/data"
    if not (data_dir / ORAND / "labels.tsv").is_file():
        return f"ORAND dev fields not found under {data_dir / ORAND}"
    if not (data_dir / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        return f"MNIST not found under {data_dir / 'mnist'}"
    return None


def make_reader(readers: Sequence[str]):
    """One reader holding the models every reader in ``readers`` needs, one onnxruntime thread each."""
    from checkocr.calibration import Calibrator
    from checkocr.classifier import DigitClassifier
    from checkocr.config import Settings
    from checkocr.field_model import FieldModel
    from checkocr.reader import Reader

    settings = Settings()
    needs_field = any(r != "digits" for r in readers)
    field_model = FieldModel(settings.field_model_path, threads=1) if needs_field else None
    calibrator = Calibrator.load(settings.fusion_card_path) if "fused" in readers else None
    classifier = DigitClassifier(settings.model_path, threads=1)
    return Reader(
        classifier,
        settings.accept_threshold,
        field_model=field_model,
        default_reader="digits",
        calibrator=calibrator,
    )


def items(data_dir: Path) -> Iterator[tuple[str, np.ndarray, str]]:
    """(item id, grey image, region) of every golden item, in a fixed order."""
    from checkocr.imageio import read_file_grey
    from checkocr.labels import read_labels
    from checkocr.synth import MnistTestPool, generate_check

    folder = data_dir / ORAND
    for name, _label in read_labels(folder):
        yield f"orand/{name}", read_file_grey(folder / "images" / name, 40_000_000), "field"
    pool = MnistTestPool.from_data_dir(data_dir)
    rng = np.random.default_rng(SYNTH_SEED)
    for i in range(SYNTH_COUNT):
        grey, _truth = generate_check(rng, pool)
        yield f"synth/{SYNTH_SEED}/{i:03d}", grey, "auto"


def read_all(data_dir: Path, readers: Sequence[str]) -> dict[str, dict[str, list[str | None]]]:
    """item id -> reader -> [amount, characters, decision] (characters joined: digits, separators, signs;
    decision "post" or "review")."""
    reader = make_reader(readers)
    out: dict[str, dict[str, list[str | None]]] = {}
    for item, grey, region in items(data_dir):
        out[item] = {}
        for which in readers:
            reading = reader.read_array(grey, region=region, reader=which)
            text = "".join(c.char for c in reading.characters)
            out[item][which] = [reading.amount, text, "review" if reading.needs_review else "post"]
    return out


def model_ids(readers: Sequence[str]) -> dict[str, str]:
    """sha256 (first 16 hex digits) of the model files the readings depend on."""
    from checkocr.config import Settings
    from checkocr.mnist import sha256_of

    settings = Settings()
    paths = {"digits": settings.model_path}
    if any(r != "digits" for r in readers):
        paths["field"] = settings.field_model_path
    if "fused" in readers:
        paths["fusion"] = settings.fusion_card_path
    return {name: sha256_of(path)[:16] for name, path in paths.items()}


def load(path: Path = GOLDEN_PATH) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(golden: dict, path: Path = GOLDEN_PATH) -> None:
    """One line per item, so a regenerated file diffs item by item."""
    readings = golden["readings"]
    head = {k: v for k, v in golden.items() if k != "readings"}
    lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "readings": {']
    rows = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in readings.items()]
    lines.append(",\n".join(rows))
    lines.append("}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def flips(expected: dict, actual: dict) -> list[str]:
    """Every (item, reader) whose reading differs, as ``item [reader]: old -> new``."""
    lines = []
    for item in sorted(set(expected) | set(actual)):
        old, new = expected.get(item, {}), actual.get(item, {})
        for which in sorted(set(old) | set(new)):
            if old.get(which) != new.get(which):
                lines.append(f"{item} [{which}]: {show(old.get(which))} -> {show(new.get(which))}")
    return lines


def show(value: list[str | None] | None) -> str:
    if value is None:
        return "(absent)"
    amount, text, *decision = value
    return f"{amount or 'no amount'} {text!r} {' '.join(map(str, decision))}".rstrip()


def main(argv: list[str] | None = None) -> int:
    from checkocr.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate golden_readings.json")
    parser.add_argument("--readers", default=None, help="comma-separated; default: the JSON's readers")
    args = parser.parse_args(argv)
    data_dir = Settings().data_dir
    problem = data_problem(data_dir)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    assert data_dir is not None
    previous = load() if GOLDEN_PATH.is_file() else None
    if args.readers:
        readers = [r for r in args.readers.split(",") if r]
    else:
        readers = previous["readers"] if previous else ["digits"]
    actual = read_all(data_dir, readers)
    if args.write:
        golden = {
            "about": "expected readings; regenerate with: python -m tests.regression.golden --write",
            "readers": readers,
            "models": model_ids(readers),
            "orand": ORAND,
            "synth": {"seed": SYNTH_SEED, "count": SYNTH_COUNT},
            "readings": actual,
        }
        write(golden)
        print(f"wrote {len(actual)} items x {len(readers)} readers to {GOLDEN_PATH}")
        return 0
    changed = flips(previous["readings"], actual) if previous else []
    print("\n".join(changed) or "no reading changed")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
