"""``checkocr synth --x937``: the synth checks themselves, a chosen share keyed wrong, and the truth."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner
from x937_kit import read

from checkocr.cli import app
from checkocr.synth import MnistTestPool, write_dataset
from checkocr.x937.synth import KEYING_ERRORS, keying_error, synth_items, truth_path, write_synthetic
from checkocr.x937.writer import write_cash_letter
from tests.reliability import corpus

runner = CliRunner()


@pytest.fixture(scope="module")
def drawn_pool() -> MnistTestPool:
    return corpus.drawn_pool()


def test_keying_errors_always_change_the_amount() -> None:
    rng = np.random.default_rng(5)
    kinds = set()
    for cents in [1, 5, 10, 99, 100, 1234, 350600, 9_999_999, *rng.integers(1, 10**7, size=300).tolist()]:
        keyed, kind = keying_error(int(cents), rng)
        assert keyed != cents and 0 < keyed <= 9_999_999_999, (cents, keyed, kind)
        kinds.add(kind)
    assert kinds == set(KEYING_ERRORS)


def test_items_are_the_synth_tiff_checks_with_an_exact_share_keyed_wrong(
    drawn_pool: MnistTestPool, tmp_path: Path
) -> None:
    made = list(synth_items(6, 11, drawn_pool, wrong_share=0.5))
    truths = write_dataset(tmp_path, 6, 11, drawn_pool, kind="check", file_format="tiff", progress=False)
    for synth, truth in zip(made, truths, strict=True):
        assert synth.item.front == (tmp_path / truth["image"]).read_bytes()  # the very same image file
        assert synth.truth["written_amount_cents"] == truth["amount_cents"]
        wrong = synth.truth["wrongly_keyed"]
        assert (synth.item.amount_cents != truth["amount_cents"]) == wrong
    assert sum(s.truth["wrongly_keyed"] for s in made) == 3

    buffer = io.BytesIO()
    write_cash_letter(buffer, (s.item for s in made))
    result = read(buffer.getvalue())
    assert result.problems == [] and [i.amount_cents for i in result.items] == [
        s.item.amount_cents for s in made
    ]


def test_write_synthetic_writes_the_truth_beside_the_file(drawn_pool: MnistTestPool, tmp_path: Path) -> None:
    path = tmp_path / "day.icl"
    summary = write_synthetic(path, 4, 2, drawn_pool, wrong_share=0.25, encoding="ascii", framing="fixed")
    lines = [json.loads(line) for line in truth_path(path).read_text().splitlines()]
    assert summary.items == 4 and len(lines) == 4 and sum(t["wrongly_keyed"] for t in lines) == 1
    result = read(path.read_bytes())
    assert [i.amount_cents for i in result.items] == [t["keyed_amount_cents"] for t in lines]
    assert [i.sequence_number for i in result.items] == [t["sequence_number"] for t in lines]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--count", "2"], "give --out FOLDER"),
        (["--out", "x", "--count", "2", "--wrong-share", "0.1"], "--wrong-share only applies with --x937"),
        (["--x937", "f.x937", "--count", "2", "--wrong-share", "1.5"], "between 0 and 1"),
        (["--x937", "f.x937", "--count", "2", "--framing", "lines"], "--framing one of"),
        (["--x937", "f.x937", "--count", "0"], "count must be at least 1"),
    ],
)
def test_synth_cli_refuses_bad_options_in_one_line(args: list[str], message: str) -> None:
    result = runner.invoke(app, ["synth", *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_synth_cli_writes_a_cash_letter(mnist_data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "letter.x937"
    args = ["synth", "--x937", str(path), "--count", "3", "--seed", "4", "--wrong-share", "0.34"]
    result = runner.invoke(app, [*args, "--data-dir", str(mnist_data_dir), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "wrote 3 check items (1 keyed wrong" in result.output
    assert len(read(path.read_bytes()).items) == 3 and truth_path(path).is_file()
