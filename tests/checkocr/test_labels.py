"""Label corrections apply only where the shipped label is the one a fix was written against."""

from __future__ import annotations

from pathlib import Path

from checkocr.labels import FIXES, label_fixes, read_labels


def test_a_fix_replaces_the_label_it_was_written_for(tmp_path: Path) -> None:
    (tmp_path / "labels.tsv").write_text("a.jpg\t7397\nb.jpg\t60\nc.jpg\t1111\n")
    fixes = {"a.jpg": ("7397", "7393"), "c.jpg": ("9999", "1119")}
    assert read_labels(tmp_path, fixes) == [("a.jpg", "7393"), ("b.jpg", "60"), ("c.jpg", "1111")]


def test_the_projects_fixes_file_is_well_formed() -> None:
    fixes = label_fixes(FIXES)
    assert fixes, f"{FIXES} holds no corrections"
    for name, (shipped, corrected) in fixes.items():
        assert name.endswith(".jpg") and shipped.isdigit() and corrected.isdigit() and shipped != corrected
    for line in FIXES.read_text().splitlines():
        if line and not line.startswith("#") and not line.startswith("filename"):
            assert len(line.split("\t")) == 4 and line.split("\t")[3].strip(), f"no reason given: {line}"
