"""Scoring a chunk: one bad file (undecodable or an unexpected defect) never stops the others."""

from __future__ import annotations

from pathlib import Path

from checkocr.batch.scoring import score_chunk, stable_detail
from checkocr.batch.summary import Tally
from checkocr.imageio import ImageDecodeError
from checkocr.schemas import ModelInfo, Reading


class ScriptedReader:
    """A Reader stand-in whose result depends on the file name."""

    def read_path(self, path: Path, region: str = "auto", max_pixels: int = 0) -> Reading:
        name = Path(path).name
        if name.startswith("broken"):
            raise ImageDecodeError(
                "undecodable", "cannot identify image file <_io.BytesIO object at 0x7f3a2c>"
            )
        if name.startswith("defect"):
            raise IndexError("list index out of range")
        unreadable = name.startswith("blank")
        return Reading(
            amount=None if unreadable else "10.00",
            amount_cents=None if unreadable else 1000,
            confidence=0.2 if unreadable or name.startswith("doubt") else 0.99,
            needs_review=unreadable or name.startswith("doubt"),
            model=ModelInfo(name="digits", version="1", sha256="00"),
            reason="no ink found" if unreadable else None,
        )


def test_each_file_yields_one_record_with_errors_in_place() -> None:
    items = [(f"/in/{name}", f"k/{name}") for name in ["a.png", "broken.png", "defect.png", "blank.png"]]
    records = score_chunk(ScriptedReader(), items, "auto", 1000)

    assert [r["source"] for r in records] == [key for _, key in items]
    assert records[0]["amount_cents"] == 1000 and "error" not in records[0]
    assert records[1]["error"] == {
        "type": "undecodable",
        "detail": "cannot identify image file <_io.BytesIO>",  # no address: runs must be diffable
    }
    assert records[2]["error"] == {"type": "internal_error", "detail": "IndexError: list index out of range"}
    assert records[3]["amount"] is None and records[3]["reason"] == "no ink found"


def test_stable_detail_leaves_ordinary_messages_alone() -> None:
    assert stable_detail("image is 9x4000 = 36000 pixels") == "image is 9x4000 = 36000 pixels"
    assert stable_detail("<Foo at 0xDEADbeef>") == "<Foo>"


def test_tally_puts_every_record_in_exactly_one_bucket() -> None:
    names = ["a.png", "b.png", "doubt.png", "blank.png", "broken.png", "defect.png"]
    records = score_chunk(ScriptedReader(), [(n, n) for n in names], "auto", 1000)
    tally = Tally(files=8, skipped=2)
    for record in records:
        tally.add(record)
    tally.finish()

    assert (tally.read, tally.needs_review, tally.unreadable, tally.errors) == (2, 2, 1, 2)
    assert tally.processed == len(names)
    text = tally.render(Path("out/r.jsonl"), "local", 2)
    assert "files: 8 (2 already in the output, skipped)" in text
    assert "read: 2   needs_review: 2 (1 with no amount)   errors: 2" in text
    assert "error types: internal_error 1, undecodable 1" in text
    assert "output: out/r.jsonl" in text
