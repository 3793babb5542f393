"""Check items out of an X9.37 record stream, with the file's structure and control totals checked.

An item is a check detail record (25) with what follows it up to the next 25 or bundle control: its
addenda (26, 27, 28) and image views (50 + 52 pairs). The front image is the image data of the 52
that follows a 50 with view side 0. ``iter_items`` yields each item once it is complete, and
problems that concern the file rather than one item (control totals that disagree, records out of
order between items, a truncated file) as ``Problem`` values in file order. A problem inside an item
(bad text in its 25, a wrong length on its 52, no front image) stays with the item, which the
caller reports as unreadable; the items after it are still read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from checkocr.x937.reader import Problem, Record, RecordReader
from checkocr.x937.records import number, record_name

ITEM_CODES = {"25", "26", "27", "28", "50", "52"}
IN_ITEM = {"25", "26", "27", "28", "50", "70"}  # after a 25 or an addendum
FOLLOWS: dict[str | None, set[str]] = {
    None: {"01"},
    "01": {"10"},
    "10": {"20", "90"},
    "20": {"25", "70"},
    "25": IN_ITEM,
    "26": IN_ITEM,
    "27": IN_ITEM,
    "28": IN_ITEM,
    "50": {"52"},
    "52": {"25", "50", "70"},
    "70": {"20", "90"},
    "90": {"10", "99"},
    "99": set(),
}
SKIPPED_ANYWHERE = {"54", "68", "85"}


@dataclass
class CheckItem:
    offset: int  # byte offset of its check detail record (25)
    sequence_number: str
    amount_cents: int | None
    payor_routing: str
    on_us: str
    image: bytes | None = None  # the front image, when images are kept
    image_offset: int | None = None
    image_length: int | None = None
    problems: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "sequence_number": self.sequence_number,
            "amount_cents": self.amount_cents,
            "payor_routing": self.payor_routing,
            "on_us": self.on_us,
            "offset": self.offset,
        }

    @property
    def has_front_image(self) -> bool:
        return bool(self.image_length)


@dataclass
class Totals:
    items: int = 0
    amount: int = 0
    images: int = 0
    groups: int = 0  # bundles in a cash letter, cash letters in a file


def item_of(record: Record) -> CheckItem:
    fields = record.fields
    item = CheckItem(
        offset=record.offset,
        sequence_number=fields["sequence_number"].strip(),
        amount_cents=number(fields["item_amount"]),
        payor_routing=fields["payor_routing"].strip() + fields["payor_check_digit"].strip(),
        on_us=fields["on_us"].strip(),
        problems=list(record.problems),
    )
    if item.amount_cents is None:
        item.problems.append(
            Problem(
                "bad_field", record.offset, "25", f"item amount {fields['item_amount']!r} is not a number"
            )
        )
    return item


class ItemReader:
    """Groups records into items and checks order and control totals."""

    def __init__(self, stream: BinaryIO, keep_images: bool = True) -> None:
        self.records = RecordReader(stream)
        self.keep_images = keep_images
        self.last: str | None = None
        self.item: CheckItem | None = None
        self.front_view = False  # the last 50 was a front view of the current item with an image
        self.view_open = False
        self.bundle, self.letter, self.file = Totals(), Totals(), Totals()
        self.record_count = 0
        self.ended = False  # a file control record (99) was read

    def __iter__(self) -> Iterator[CheckItem | Problem]:
        fatal = None
        for event in self.records:
            if isinstance(event, Problem):
                if event.fatal:
                    fatal = event
                    break
                yield from self.file_problem(event)
                continue
            yield from self.take(event)
        if fatal is not None:
            if self.item is not None and (fatal.code is None or fatal.code in ITEM_CODES):
                detail = f"reading stopped inside this item: {fatal.message()}"
                self.item.problems.append(Problem("incomplete", self.item.offset, "25", detail))
            yield from self.finish_item()
            yield fatal
            return
        yield from self.finish_item()
        if not self.ended:
            yield Problem(
                "truncated",
                self.records.size,
                None,
                "the file ends without a file control record (type 99); it may be cut short",
            )

    def file_problem(self, problem: Problem) -> Iterator[Problem]:
        """A problem the reader found: the current item's when it is about one of its records."""
        if self.item is not None and problem.code in ITEM_CODES:
            self.item.problems.append(problem)
            return
        yield problem

    def finish_item(self) -> Iterator[CheckItem]:
        item, self.item = self.item, None
        self.front_view = self.view_open = False
        if item is None:
            return
        if not item.has_front_image and not item.problems:
            item.problems.append(
                Problem(
                    "no_front_image",
                    item.offset,
                    "25",
                    "the item has no front image "
                    "(a 50 record with view side 0 and a 52 record with image data)",
                )
            )
        yield item

    def take(self, record: Record) -> Iterator[CheckItem | Problem]:
        code = record.code
        self.record_count += 1
        if code in SKIPPED_ANYWHERE:
            return
        if code not in FOLLOWS[self.last]:
            expected = ", ".join(record_name(c) for c in sorted(FOLLOWS[self.last])) or "nothing"
            after = f"after record {record_name(self.last)}" if self.last else "at the start of the file"
            detail = f"out of order: expected {expected} {after}"
            problem = Problem("out_of_order", record.offset, code, detail)
            if code in ITEM_CODES and code != "25" and self.item is not None:
                self.item.problems.append(problem)
            elif code == "25":
                record.problems.insert(0, problem)
            else:
                yield problem
        self.last = code
        if code not in ITEM_CODES:
            yield from self.finish_item()
            yield from record.problems
            yield from self.control(record)
            return
        if code == "25":
            yield from self.finish_item()
            self.item = item_of(record)
            self.bundle.items += 1
            self.bundle.amount += self.item.amount_cents or 0
            return
        if self.item is None:
            return  # an addendum or image view outside any item: reported as out of order above
        self.item.problems.extend(record.problems)
        if code == "50":
            self.bundle.images += 1
            side, indicator = record.fields["view_side"], record.fields["image_indicator"]
            self.front_view = side == "0" and indicator not in ("0", "") and not self.item.has_front_image
            self.view_open = True
            self.records.keep_next_image = self.keep_images and self.front_view
        elif code == "52":
            yield from self.image_data(record)

    def image_data(self, record: Record) -> Iterator[Problem]:
        item = self.item
        assert item is not None
        if not self.view_open:
            return
        self.view_open = False
        if not self.front_view:
            return
        self.front_view = False
        sequence = record.fields.get("sequence_number", "").strip()
        if sequence and sequence != item.sequence_number:
            item.problems.append(
                Problem(
                    "image_mismatch",
                    record.offset,
                    "52",
                    f"the image is for item {sequence}, not for item {item.sequence_number}",
                )
            )
            return
        item.image = record.image
        item.image_offset, item.image_length = record.image_offset, record.image_length
        yield from ()

    # ------------------------------------------------------------ control totals

    def control(self, record: Record) -> Iterator[Problem]:
        if record.code == "70":
            bundle = self.bundle
            counted = {
                "items_count": bundle.items,
                "total_amount": bundle.amount,
                "images_count": bundle.images,
            }
            yield from self.compare(record, "bundle", counted)
            self.roll(self.bundle, self.letter)
        elif record.code == "90":
            letter = self.letter
            counted = {
                "bundle_count": letter.groups,
                "items_count": letter.items,
                "total_amount": letter.amount,
                "images_count": letter.images,
            }
            yield from self.compare(record, "cash letter", counted)
            self.roll(self.letter, self.file)
        elif record.code == "99":
            self.ended = True
            counted = {
                "cash_letter_count": self.file.groups,
                "total_record_count": self.record_count,
                "total_item_count": self.file.items,
                "total_amount": self.file.amount,
            }
            yield from self.compare(record, "file", counted)

    @staticmethod
    def roll(inner: Totals, outer: Totals) -> None:
        outer.items += inner.items
        outer.amount += inner.amount
        outer.images += inner.images
        outer.groups += 1
        inner.items = inner.amount = inner.images = inner.groups = 0

    @staticmethod
    def compare(record: Record, what: str, counted: dict[str, int]) -> Iterator[Problem]:
        wrong = []
        for name, actual in counted.items():
            declared = number(record.fields[name])
            if declared != actual:
                shown = record.fields[name] if declared is None else declared
                wrong.append(f"{name.replace('_', ' ')} {shown!s} (counted {actual})")
        if wrong:
            detail = f"the {what} control disagrees: " + "; ".join(wrong)
            yield Problem("control_total", record.offset, record.code, detail)


def iter_items(stream: BinaryIO, keep_images: bool = True) -> Iterator[CheckItem | Problem]:
    """The items and file problems of an X9.37 file, in file order (see the module docstring)."""
    return iter(ItemReader(stream, keep_images))
