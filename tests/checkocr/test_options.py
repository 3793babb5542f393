"""The option vocabularies are defined once and the command line offers exactly them."""

from __future__ import annotations

from typer.testing import CliRunner

from checkocr.cli import app
from checkocr.options import (
    DECIMALS,
    READERS,
    REGIONS,
    DecimalChoice,
    ReaderChoice,
    RegionChoice,
    SynthFormat,
    SynthKind,
    SynthLayout,
)
from checkocr.synth.check import DPIS
from checkocr.synth.layout import SIZES_IN
from checkocr.synth.writer import FILE_FORMATS, KINDS


def test_enums_and_literals_agree():
    assert tuple(RegionChoice) == REGIONS
    assert tuple(DecimalChoice) == DECIMALS
    assert tuple(ReaderChoice) == READERS


def test_synth_choices_are_what_the_generator_takes():
    assert tuple(SynthKind) == KINDS
    assert tuple(SynthFormat) == (*FILE_FORMATS, "mixed")
    assert tuple(SynthLayout) == (*SIZES_IN, "mixed")
    assert DPIS == (200, 300)


def test_help_lists_values_and_environment_variables():
    runner = CliRunner()
    top = runner.invoke(app, ["--help"], terminal_width=200).output
    assert "CHECKOCR_THREADS" in top and "CHECKOCR_DATA_DIR" in top
    read = runner.invoke(app, ["read", "--help"], terminal_width=200).output
    assert "auto|.|," in read and "digits|field|fused" in read
    batch = runner.invoke(app, ["batch", "--help"], terminal_width=200).output
    assert "local|ray" in batch and "jsonl|csv" in batch and "auto|field" in batch
