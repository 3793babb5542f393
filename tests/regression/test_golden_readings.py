"""Regression guard: every golden item reads as it did when ``golden_readings.json`` was written.

The items are the 800 labelled ORAND CAR-A dev fields and 200 seeded synthetic checks, read by each
reader the JSON lists; a reading is its amount, its characters string and its decision (post or
review). On a change the failure
names every item that flipped (``item [reader]: old -> new``), not only the first. A change that is
meant to change readings is measured first (``python -m bench.read_accuracy``), then the file is
regenerated from the repository root with ``python -m tests.regression.golden --write`` (add
``--readers digits,field,fused`` to change the readers) and the diff committed with the change.
Skips, with the reason, when the datasets are absent.
"""

from __future__ import annotations

import pytest

from checkocr.config import Settings
from tests.regression import golden


@pytest.mark.slow
def test_golden_readings() -> None:
    if not golden.GOLDEN_PATH.is_file():
        pytest.skip(f"{golden.GOLDEN_PATH} missing: run python -m tests.regression.golden --write")
    data_dir = Settings().data_dir
    problem = golden.data_problem(data_dir)
    if problem:
        pytest.skip(problem)
    assert data_dir is not None
    expected = golden.load()
    actual = golden.read_all(data_dir, expected["readers"])
    changed = golden.flips(expected["readings"], actual)
    if changed:
        models = golden.model_ids(expected["readers"])
        note = ""
        if models != expected["models"]:
            note = f" (models now {models}, the golden file was made with {expected['models']})"
        pytest.fail(
            f"{len(changed)} of {len(actual)} golden readings changed{note}; if intended, measure and "
            "regenerate (python -m tests.regression.golden --write):\n" + "\n".join(changed),
            pytrace=False,
        )
