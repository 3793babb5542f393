"""The X9.37 reader: both framings and encodings round-trip, and hostile files give clear problems
(byte offset and record type in each) instead of exceptions, with later items still read."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from x937_kit import TINY, cash_letter, first, read, records, text_at

from checkocr.x937.reader import Problem, Record, RecordReader
from checkocr.x937.records import LAYOUTS, RECORD_LENGTH, routing_check_digit

COMBINATIONS = [(e, f) for e in ("ebcdic", "ascii") for f in ("prefixed", "fixed")]


def test_layouts_tile_their_records_without_gaps_or_overlaps() -> None:
    for code, layout in LAYOUTS.items():
        position = 3
        for field in layout.fields:
            assert field.start == position, f"{code}.{field.name} starts at {field.start}, not {position}"
            position = field.end + 1
        if not layout.variable:
            assert position - 1 == RECORD_LENGTH, code
    assert LAYOUTS["52"].fields[-1].end == 105 and LAYOUTS["27"].fields[-1].end == 22


def test_routing_check_digit() -> None:
    assert routing_check_digit("01100001") == "5"  # 011000015, the Federal Reserve Bank of Boston
    assert routing_check_digit("12100035") == "8"  # 121000358


@pytest.mark.parametrize(("encoding", "framing"), COMBINATIONS)
def test_round_trip_in_both_encodings_and_framings(encoding: str, framing: str) -> None:
    fronts = [bytes([i]) * 10 + TINY for i in range(7)]  # distinct front images, one per item
    data = cash_letter(7, encoding, framing, front=lambda i: fronts[i], keyed=lambda i: 1234 * (i + 1))
    reader = RecordReader(io.BytesIO(data))
    events = list(reader)
    assert (reader.encoding, reader.framing) == (encoding, framing)
    assert not [e for e in events if isinstance(e, Problem)]
    codes = [e.code for e in events if isinstance(e, Record)]
    assert codes[:3] == ["01", "10", "20"] and codes[-2:] == ["90", "99"]
    assert codes.count("25") == 7 and codes.count("52") == 14 and codes.count("70") == 3

    result = read(data)
    assert result.problems == []
    assert [i.sequence_number for i in result.items] == [f"{n:015d}" for n in range(1, 8)]
    assert [i.amount_cents for i in result.items] == [1234 * n for n in range(1, 8)]
    assert [i.image for i in result.items] == fronts  # the front view, never the back
    assert all(i.payor_routing == "123456780" and not i.problems for i in result.items)
    assert result.items[2].on_us == "1002/77"


def test_images_are_skipped_unless_asked_for_but_their_place_is_known() -> None:
    data = cash_letter(3, front=lambda i: b"front" + TINY)
    for item in read(data, keep_images=False).items:
        assert item.image is None
        assert data[item.image_offset : item.image_offset + item.image_length] == b"front" + TINY


@pytest.mark.parametrize("data", [b"", b"hello, world", b"\x00\x00\x00\x50" + b"10" + b" " * 78])
def test_not_an_x937_file(data: bytes) -> None:
    (problem,) = records(data)
    assert isinstance(problem, Problem) and problem.fatal and problem.kind == "not_x937"
    assert problem.message().startswith("byte 0: not an X9.37 file")


@pytest.mark.parametrize(("encoding", "framing"), COMBINATIONS)
def test_truncated_file_keeps_the_items_before_the_cut(encoding: str, framing: str) -> None:
    data = cash_letter(5, encoding, framing)
    third_front = first(data, "52", nth=4)  # items have a front and a back view
    result = read(data[: third_front.offset + 60])
    assert [i.problems for i in result.items[:2]] == [[], []]
    assert result.items[2].problems[0].kind == "incomplete"
    (problem,) = result.problems
    assert problem.fatal and problem.kind == "truncated" and problem.code == "52"
    assert problem.message().startswith(f"byte {third_front.offset}, record 52 (image view data): ")


def test_file_cut_inside_a_length_prefix_or_before_its_file_control() -> None:
    data = cash_letter(2)
    (problem,) = read(data[:-82]).problems  # the whole 99 record gone, and 2 bytes of the 90 kept
    assert problem.kind == "truncated" and problem.fatal
    file_control = first(data, "99")
    result = read(data[: file_control.offset])
    assert len(result.items) == 2 and all(not i.problems for i in result.items)
    (problem,) = result.problems
    assert problem.kind == "truncated" and "without a file control record" in problem.detail


def test_a_declared_length_of_2_gb_is_refused_without_reading_it() -> None:
    data = cash_letter(5)
    second = first(data, "25", nth=1)
    hostile = data[: second.offset] + (2**31).to_bytes(4, "big") + data[second.offset + 4 :]
    tracemalloc.start()
    try:
        result = read(hostile)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000, f"{peak} bytes traced: the declared length was allocated"
    assert [len(i.problems) for i in result.items] == [0, 1, 0, 0, 0]
    problem = result.items[1].problems[0]
    assert problem.kind == "bad_length" and problem.offset == second.offset and problem.code == "25"
    assert "2147483648" in problem.detail and "read as 80" in problem.detail
    assert result.problems == []  # the record's own length was right: nothing else is lost


def test_a_wrong_image_record_length_is_named_and_reading_goes_on() -> None:
    data = cash_letter(4)
    image = first(data, "52", nth=2)  # the second item's front
    declared = int.from_bytes(data[image.offset : image.offset + 4], "big")
    hostile = data[: image.offset] + (declared + 10).to_bytes(4, "big") + data[image.offset + 4 :]
    result = read(hostile)
    assert [bool(i.problems) for i in result.items] == [False, True, False, False]
    problem = result.items[1].problems[0]
    assert (problem.kind, problem.offset, problem.code) == ("bad_length", image.offset, "52")
    assert f"says {declared + 10} bytes" in problem.detail and f"is {declared} bytes" in problem.detail


def test_fixed_framing_reads_the_image_length_from_the_record_and_stops_when_it_is_garbage() -> None:
    data = cash_letter(4, framing="fixed")
    image = first(data, "52", nth=4)  # the third item's front
    length_position = 105 + 5 + 1  # no key, no signature: the image length is at 111-117
    hostile = text_at(data, image, length_position, "00x0123")
    result = read(hostile)
    assert len(result.items) == 3 and [bool(i.problems) for i in result.items] == [False, False, True]
    (problem,) = result.problems
    assert problem.fatal and problem.kind == "bad_field" and problem.offset == image.offset
    assert "(image data length) is not a number" in problem.detail


@pytest.mark.parametrize("framing", ["prefixed", "fixed"])
def test_bad_ebcdic_in_an_amount_makes_that_item_unreadable_only(framing: str) -> None:
    data = cash_letter(4, framing=framing)
    second = first(data, "25", nth=1)
    prefix = 4 if framing == "prefixed" else 0
    at = second.offset + prefix + 50  # inside positions 48-57, the item amount
    hostile = data[:at] + b"\x07" + data[at + 1 :]
    result = read(hostile)
    assert [bool(i.problems) for i in result.items] == [False, True, False, False]
    kinds = [p.kind for p in result.items[1].problems]
    assert kinds == ["bad_text", "bad_field"]
    assert "position 51 (item_amount) holds byte 0x07, which is not EBCDIC text" in (
        result.items[1].problems[0].message()
    )
    assert result.items[1].amount_cents is None
    # the bundle's and the file's amount totals now disagree with what could be counted
    assert {(p.kind, p.code) for p in result.problems} == {
        ("control_total", "70"),
        ("control_total", "90"),
    } | {("control_total", "99")}


def test_an_unknown_record_type_is_skipped_by_its_prefix() -> None:
    data = cash_letter(3)
    addendum = first(data, "26", nth=1)
    hostile = text_at(data, addendum, 1, "Q9")
    result = read(hostile)
    assert all(not i.problems for i in result.items) and len(result.items) == 3
    kinds = [(p.kind, p.offset) for p in result.problems]
    assert ("unknown_record", addendum.offset) in kinds
    assert "unknown record type Q9" in result.problems[0].message()
    assert [p.kind for p in result.problems][1:] == ["control_total"]  # the 99's record count


def test_an_unknown_record_type_ends_a_fixed_file_when_no_record_follows() -> None:
    data = cash_letter(3, framing="fixed")
    image = first(data, "52", nth=2)
    hostile = text_at(data, image, 1, "Q9")  # a 52 is not 80 long: nothing known follows at +80
    result = read(hostile)
    assert len(result.items) == 2 and result.problems[-1].fatal
    assert result.problems[-1].kind == "unknown_record" and result.problems[-1].offset == image.offset
