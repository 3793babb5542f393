"""Finding the sources of a batch: folder walking and list files."""

from __future__ import annotations

from pathlib import Path

import pytest

from checkocr.batch.sources import InputError, discover, parse_list_file, walk_folder


def touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_walk_recurses_matches_extensions_case_insensitively_and_sorts(tmp_path: Path) -> None:
    for name in ["b.png", "A.JPG", "sub/c.TIFF", "sub/deeper/d.tif", "sub/e.jpeg", "z/f.Png"]:
        touch(tmp_path / name)
    for name in ["notes.txt", "scan.pdf", "sub/readme.md", "noext", ".hidden.png", ".git/x.png"]:
        touch(tmp_path / name)

    found = walk_folder(tmp_path)

    assert [s.key for s in found.sources] == [
        "A.JPG",
        "b.png",
        "sub/c.TIFF",
        "sub/deeper/d.tif",
        "sub/e.jpeg",
        "z/f.Png",
    ]
    assert found.root == tmp_path
    assert all(s.path == tmp_path / s.key for s in found.sources)


def test_list_file_resolves_relative_to_its_folder_and_skips_comments(tmp_path: Path) -> None:
    outside = touch(tmp_path / "elsewhere" / "far.png")
    listing = tmp_path / "batch" / "todo.txt"
    touch(listing.parent / "a.png")
    listing.write_text(
        f"# deposits of Monday\n\na.png\n  sub/b.jpg  \n{outside}\n# done\nmissing.tif\n"
        "./a.png\nsub/../a.png\n"
    )

    found = parse_list_file(listing)

    assert [s.key for s in found.sources] == ["a.png", "sub/b.jpg", outside.as_posix(), "missing.tif"]
    assert found.sources[1].path == tmp_path / "batch" / "sub/b.jpg"
    assert found.sources[2].path == outside
    assert found.duplicates == 2
    assert found.root == tmp_path / "batch"


def test_list_entries_inside_the_list_folder_given_absolutely_get_relative_keys(tmp_path: Path) -> None:
    listing = tmp_path / "list.txt"
    listing.write_text(f"{tmp_path / 'x' / 'one.png'}\n")
    assert [s.key for s in discover(listing).sources] == ["x/one.png"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nope", "does not exist"),
        (lambda p: touch(p / "single.png"), "is an image"),
        (lambda p: touch(p / "binary.lst", b"\xff\xfe\x00bad"), "UTF-8 text list"),
    ],
)
def test_unusable_input_is_an_input_error(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InputError, match=message):
        discover(make(tmp_path))


def test_empty_folder_has_no_sources(tmp_path: Path) -> None:
    assert discover(tmp_path).sources == []
