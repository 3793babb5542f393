"""What a batch run reads: the image files under a folder, or the paths named in a list file.

Each source has a *key*, its path relative to INPUT (the folder, or the list file's folder) in POSIX
form. The key is what the output records as ``"source"`` and what ``--resume`` matches on, so it must
be stable across runs and machines: keys are relative, '/'-separated, and the order is sorted, so two
runs over the same input produce the same work in the same order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
CASH_LETTER_SUFFIXES = frozenset({".x9", ".x937", ".icl"})  # X9.37 image cash letters, read item by item


class InputError(ValueError):
    """INPUT is missing or unusable; the command turns it into a one-line usage error (exit 2)."""


@dataclass(frozen=True)
class Source:
    """One file to read: where it is now (``path``) and how the output names it (``key``)."""

    path: Path
    key: str


@dataclass(frozen=True)
class SourceSet:
    """The sources of one INPUT, with the folder their keys are relative to."""

    root: Path
    sources: list[Source]
    duplicates: int = 0  # list-file entries dropped because they named an already listed file
    cash_letters: list[Source] = field(default_factory=list)  # X9.37 files, one line per check item


def is_image_name(name: str) -> bool:
    """By extension, case-insensitively: scanners write .TIF and .JPG as often as .tif and .jpg."""
    return Path(name).suffix.lower() in IMAGE_SUFFIXES


def is_cash_letter_name(name: str) -> bool:
    return Path(name).suffix.lower() in CASH_LETTER_SUFFIXES


def split_cash_letters(found: SourceSet) -> SourceSet:
    """Moves the X9.37 files among ``found.sources`` to ``cash_letters`` (each is many checks)."""
    letters = [s for s in found.sources if is_cash_letter_name(s.path.name)]
    if not letters:
        return found
    images = [s for s in found.sources if not is_cash_letter_name(s.path.name)]
    return SourceSet(found.root, images, found.duplicates, [*found.cash_letters, *letters])


def walk_folder(folder: Path) -> SourceSet:
    """Every image file below ``folder`` (recursively), sorted by key.

    Hidden entries (dot-files, e.g. macOS ``._scan.tif`` resource forks) are skipped; symlinked
    folders are not followed, so a link loop cannot make the walk endless.
    """
    sources: list[Source] = []
    for directory, subdirs, files in os.walk(folder, onerror=None, followlinks=False):
        subdirs[:] = [name for name in subdirs if not name.startswith(".")]
        for name in files:
            if name.startswith(".") or not (is_image_name(name) or is_cash_letter_name(name)):
                continue
            path = Path(directory, name)
            sources.append(Source(path=path, key=path.relative_to(folder).as_posix()))
    sources.sort(key=lambda source: source.key)
    return split_cash_letters(SourceSet(root=folder, sources=sources))


def parse_list_file(list_file: Path) -> SourceSet:
    """Paths named one per line; relative ones are relative to the list file's folder.

    Blank lines and lines starting with ``#`` are ignored. Entries are *not* filtered by extension
    (the operator named them) and need not exist: a missing file becomes an error line in the output,
    which is where the operator looks. The listed order is kept; an entry naming a file already listed
    is dropped (counted in ``duplicates``) so every source appears exactly once in the output.
    """
    try:
        text = list_file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{list_file} is neither a folder nor a UTF-8 text list of image paths") from exc
    except OSError as exc:
        raise InputError(f"cannot read {list_file}: {exc.strerror or exc}") from exc
    root = list_file.parent
    sources: list[Source] = []
    seen: set[str] = set()
    duplicates = 0
    for raw in text.splitlines():
        entry = raw.strip()
        if not entry or entry.startswith("#"):
            continue
        key = key_for(Path(entry), root)
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        path = Path(entry) if Path(entry).is_absolute() else root / entry
        sources.append(Source(path=path, key=key))
    return split_cash_letters(SourceSet(root=root, sources=sources, duplicates=duplicates))


def key_for(entry: Path, root: Path) -> str:
    """The output name of a listed path: relative to ``root`` when it lies below it, else absolute.

    '..' segments are resolved lexically (``os.path.normpath``), not through symlinks, so
    ``a/../b.png`` and ``b.png`` are one source, while a path outside the list's folder keeps its
    absolute form rather than becoming an ambiguous ``../../x.png``.
    """
    absolute = Path(os.path.normpath(entry if entry.is_absolute() else Path(os.path.abspath(root)) / entry))
    try:
        return absolute.relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return absolute.as_posix()


def discover(input_path: Path) -> SourceSet:
    """INPUT as a folder to walk or a list file to parse; anything else is an InputError."""
    if input_path.is_dir():
        return walk_folder(input_path)
    if input_path.is_file():
        if is_cash_letter_name(input_path.name):
            letter = Source(path=input_path, key=input_path.name)
            return SourceSet(root=input_path.parent, sources=[], cash_letters=[letter])
        if is_image_name(input_path.name):
            raise InputError(
                f"{input_path} is an image, not a folder or a list file; use 'checkocr read' for one image"
            )
        return parse_list_file(input_path)
    if input_path.exists():
        raise InputError(f"{input_path} is neither a folder nor a regular file")
    raise InputError(f"INPUT {input_path} does not exist")
