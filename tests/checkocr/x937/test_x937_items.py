"""Items out of records: order, control totals, missing images, and flat memory over 5,000 items."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

from x937_kit import TINY, cash_letter, first, items, read, text_at

from checkocr.x937.items import CheckItem, iter_items
from checkocr.x937.writer import write_cash_letter


def test_control_totals_that_disagree_are_named_with_their_record() -> None:
    data = cash_letter(4)
    bundle = first(data, "70")
    file_control = first(data, "99")
    hostile = text_at(data, bundle, 7, "000000009999")  # bundle total amount, 7-18
    hostile = text_at(hostile, file_control, 9, "00000001")  # total record count, 9-16
    result = read(hostile)
    assert len(result.items) == 4 and all(not i.problems for i in result.items)
    bundle_problem, file_problem = result.problems
    assert (bundle_problem.kind, bundle_problem.offset, bundle_problem.code) == (
        "control_total",
        bundle.offset,
        "70",
    )
    assert "total amount 9999 (counted 3003)" in bundle_problem.detail  # 1000 + 1001 + 1002
    assert bundle_problem.message().startswith(f"byte {bundle.offset}, record 70 (bundle control): ")
    assert file_problem.code == "99" and "total record count 1 (counted" in file_problem.detail


def test_records_out_of_order_and_a_missing_front_image() -> None:
    data = cash_letter(3)
    front_view = first(data, "50")  # item 1's front 50 removed: its 52 now follows the 26
    hostile = data[: front_view.offset] + data[front_view.offset + 84 :]
    result = read(hostile)
    assert [bool(i.problems) for i in result.items] == [True, False, False]
    problem = result.items[0].problems[0]
    assert problem.kind == "out_of_order" and problem.code == "52"
    assert "expected" in problem.detail and "after record 26 (check detail addendum A)" in problem.detail
    assert result.items[1].image == TINY
    assert [p.kind for p in result.problems] == ["control_total", "control_total", "control_total"]


def test_an_item_without_images_is_unreadable_with_a_reason() -> None:
    data = cash_letter(3, back=None)
    view, image = first(data, "50", nth=1), first(data, "52", nth=1)  # the second item's only images
    hostile = data[: view.offset] + data[image.offset + 4 + image.length :]
    result = read(hostile)
    assert [bool(i.problems) for i in result.items] == [False, True, False]
    problem = result.items[1].problems[0]
    assert problem.kind == "no_front_image" and problem.code == "25"
    assert problem.message().startswith(
        f"byte {result.items[1].offset}, record 25 (check detail): the item has"
    )


def test_a_missing_cash_letter_header_makes_the_bundle_header_out_of_order() -> None:
    data = cash_letter(1)
    header = first(data, "10")
    result = read(data[: header.offset] + data[header.offset + 84 :])
    assert len(result.items) == 1 and not result.items[0].problems
    problem = result.problems[0]
    assert problem.kind == "out_of_order" and problem.code == "20"
    assert "expected 10 (cash letter header) after record 01 (file header)" in problem.detail


def read_file_peak(path: Path) -> tuple[int, int]:
    """(items, tracemalloc peak bytes) reading every item of ``path`` with its front image."""
    gc.collect()
    tracemalloc.start()
    count = 0
    try:
        with path.open("rb") as stream:
            for event in iter_items(stream, keep_images=True):
                if isinstance(event, CheckItem):
                    assert event.image == TINY and not event.problems
                    count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return count, peak


def test_5000_items_are_read_with_flat_memory(tmp_path: Path) -> None:
    for count in (500, 5000):
        with (tmp_path / f"{count}.x937").open("wb") as stream:
            write_cash_letter(stream, items(count), bundle_size=200)
    small = read_file_peak(tmp_path / "500.x937")
    large = read_file_peak(tmp_path / "5000.x937")
    assert (small[0], large[0]) == (500, 5000)
    assert large[1] < 1.2 * small[1] + 16_384, f"peak {large[1]} bytes for 5,000 items vs {small[1]} for 500"
    assert large[1] < 256 * 1024
