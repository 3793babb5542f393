"""The field reader: the field model's CTC string turned into glyphs, and through the same assembly.

The recogniser reads the whole field at once, so it needs no split into glyphs; what it gives up is
geometry. Each character gets back the columns of its CTC frames as its box, and the rows of ink in
those columns as its height, which is enough for the one layout fact assembly needs from height:
cents written small and raised after the amount ("1234⁵⁶").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from checkocr.assemble import DIGITS, WHOLE_TERMINATORS, Decimal, Glyph, assemble
from checkocr.assemble import Assembly as Assembly
from checkocr.ctc import DecodedChar, best_alignment, best_path
from checkocr.field_model import FieldFrames

BBox = tuple[int, int, int, int]
MARK_KINDS = {
    ".": "separator",
    ",": "separator",
    "-": "terminator",
    "=": "terminator",
    "/": "terminator",
    "*": "asterisk",
    "$": "currency",
    "₹": "currency",
}
# Raised cents: the last two digits stand above the line the others stand on, by at least this share of
# the other digits' median height, and are no taller than RAISED_MAX_HEIGHT of it (written cents are
# small and rise by about half a digit; a plain digit written a little high is full size). Less rise
# makes cents of the small last zeros of "10 000" or "2.900" on real fields (docs/reading.md).
RAISED_RISE = 0.3
RAISED_MAX_HEIGHT = 0.85
# Cents written as a superscript (small, their tops level with the others' tops) rise less: a third of
# a digit's height less its own. Small enough and high enough, they count from this rise (the small
# trailing zeros of "2.900" on real fields stand lower, their tops a fifth of a digit down).
SUPERSCRIPT_RISE = 0.2
SUPERSCRIPT_MAX_HEIGHT = 0.75
SUPERSCRIPT_TOP_DROP = 0.15  # of the others' median height: how far below their tops a superscript starts
# Cents with a stroke under them (and under nothing before them) are cents by that stroke, and need
# only stand a little above the others' line: a writer's small underlined cents can sit nearly on it.
UNDERLINED_RISE = 0.1
UNDERLINED_MAX_HEIGHT = 1.0  # and be no taller than the others
UNDERLINE_MAX_GAP = 0.6  # of the others' median height: how far below the cents the stroke may run
# A pen's stroke, not a printed rule: at least this thick against the others' median height (the
# ruled lines and box edges of real fields are a pixel or two at any digit size, a pen stroke about a
# tenth of a digit), and ending within UNDERLINE_OVERHANG of a digit past the last cent.
UNDERLINE_MIN_THICKNESS = 0.08
UNDERLINE_OVERHANG = 0.5
POINT_MARKS = ".,"
LOST_POINT = 0.3  # a point's or comma's probability in one frame that puts a dropped point back
# A CTC character fires late: its frames' middle lies at about three quarters of the glyph's width
# (median 0.4 frames right of the glyph's centre on synthetic checks), so a box is sought this many
# frames to the left, and when no ink lies there, at the nearest ink within NEAREST_INK frames.
PEAK_LAG_FRAMES = 0.4
NEAREST_INK_FRAMES = 1.5
# The last characters can fire two or three frames after their glyph (raised cents at the end of a
# long field): on blank paper, ink this many frames to the left is still theirs.
LATE_INK_FRAMES = 3.0
# Two pieces about as near (within this many frames): the one the character before did not take.
TIE_FRAMES = 0.25
# A dollar digit and the first cent written touching are cut at the thinnest column within this many
# frames of their frames' middle when it is a join thinner than a stroke, never in the outer CUT_EDGE
# share of their shared box's width (a glyph's own first and last columns are thin too).
CUT_REACH_FRAMES = 1.0
CUT_EDGE = 0.2
THIN_JOIN = 0.1  # of the shared box's height: a column crossing more ink crosses a stroke, not a join
# A horizontal run at least this share of the ink pieces' median height is a line (a box edge, the
# underline under raised cents), not part of a glyph; the crop's height would miss an underline as
# long as two small cents in a tall crop.
LINE_MIN_HEIGHTS = 1.0
LINE_MAX_THICKNESS = 0.4  # of that median height: a thicker run is a filled glyph or a blot
# A flat run that is a stroke of a glyph stays in the glyph (``glyph_stroke``): no wider than this
# share of its piece's height, the rest of the piece one body at least STROKE_BODY_HEIGHT of that
# height (parts shorter than STROKE_PART_HEIGHT are a hook or edge rows, ignored), below the run or
# over it with ink below the run too.
STROKE_MAX_WIDTH = 1.5
STROKE_BODY_HEIGHT = 0.5
STROKE_PART_HEIGHT = 0.25
STROKE_INK_BELOW = 0.5  # of the run's thickness: a glyph's ink below a run, not a line's ragged edge
STROKE_MIN_BELOW_PX = 3
STROKE_BELOW_WITHIN = 0.75  # of that ink's columns under the run (not a tail crossing an underline)
FRACTION_TAIL = "100"
FRACTION_CENTS = 2  # digits before a fraction's slash: the cents, and any dollars before them
MIN_PIECE_SHARE = 0.05  # ink pieces smaller than this share of the largest are specks, not glyphs
SLIVER_HEIGHT = 0.2  # of the pieces' median height: a flatter piece under a glyph is a line's remnant
EDGE_CUT_HEIGHT = 0.35  # of the tallest piece: a lower piece cut by the crop's edge is print, not a digit


def ink_mask(grey: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dark ink on light paper -> (boolean ink mask (Otsu) without long horizontal lines, [k, 4] x, y,
    w, h of those lines). The rows each character covers leave the lines out (an underline under
    raised cents or a box edge is not part of a glyph); where the lines run is a layout fact of its
    own (``underlined``)."""
    _, mask = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    # One pass over the pieces serves the digits' height and the glyph-stroke test.
    _, piece_labels, piece_stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    height = piece_height(sizeable(piece_stats), grey.shape[0])
    # Odd: an even kernel's off-centre anchor leaves a line's last column behind, glued to the glyph.
    line_length = max(9, min(grey.shape[0] // 2, round(LINE_MIN_HEIGHTS * height))) | 1
    runs = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (line_length, 1)))
    _, labels, stats, _ = cv2.connectedComponentsWithStats(runs, connectivity=8)
    thin = np.flatnonzero(stats[:, 3] <= LINE_MAX_THICKNESS * height)
    thin = thin[thin > 0]
    # A stroke is no wider than STROKE_MAX_WIDTH of its piece's height, so never than that of the
    # crop's: rules across the crop are lines without a look at the pieces.
    short = thin[stats[thin, 2] <= STROKE_MAX_WIDTH * grey.shape[0]]
    if len(short):
        strokes = [
            k for k in short if glyph_stroke(run_pixels(labels, k, stats[k]), piece_labels, piece_stats)
        ]
        thin = np.setdiff1d(thin, strokes)
    lines = np.isin(labels, thin)
    return (mask > 0) & ~lines, stats[thin, :4].reshape(-1, 4)


def run_pixels(labels: np.ndarray, label: int, stats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of one labelled run, looked up within its own box."""
    x, y, w, h = (int(v) for v in stats[:4])
    ys, xs = np.nonzero(labels[y : y + h, x : x + w] == label)
    return ys + y, xs + x


def glyph_stroke(
    run: tuple[np.ndarray, np.ndarray], piece_labels: np.ndarray, piece_stats: np.ndarray
) -> bool:
    """Whether a flat run is a stroke of the glyph it belongs to and not a line: the bar of a "7" or
    the top of a "5" (the rest of the piece hangs below the run), a thick "0"'s flat bottom (its ink
    goes on below the run). The run is no wider than STROKE_MAX_WIDTH of its ink piece's height; the
    rest of the piece is one body at least STROKE_BODY_HEIGHT of that height (parts shorter than
    STROKE_PART_HEIGHT of it, such as the hook at a bar's end, do not count), under the run or over
    it with ink below the run, at least half its thickness deep (STROKE_INK_BELOW) and under the
    run's own columns (STROKE_BELOW_WITHIN: a digit's tail crossing an underline sticks out).

    Taken out as a line, such a stroke makes the digit look short and cents beside it no smaller than
    it ("7^00" read 700.00). A line under the writing (an underline under raised cents, a box's
    bottom edge) has only its ragged edge below it, and a box's top edge is far wider than the
    digits that touch it. A flat stroke at a glyph's foot with nothing under it (the base of a "2")
    is not told apart: an underline under two cents written joined and touching it looks the same.
    ``run``: its (rows, columns), as ``run_pixels`` gives them."""
    ys, xs = run
    piece = int(np.bincount(piece_labels[ys, xs]).argmax())
    px, py, pw, ph = (int(v) for v in piece_stats[piece, :4])
    if int(xs.max()) + 1 - int(xs.min()) > STROKE_MAX_WIDTH * ph:
        return False
    window = (slice(py, py + ph), slice(px, px + pw))
    in_window = np.zeros((ph, pw), np.uint8)
    in_window[ys - py, xs - px] = 1
    # The run's ragged edge rows go with it: one row above and below.
    without_run = cv2.dilate(in_window, np.ones((3, 1), np.uint8)) == 0
    rest = ((piece_labels[window] == piece) & without_run).astype(np.uint8)
    count, _, parts, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    parts = parts[1:count]
    bodies = parts[parts[:, 3] >= STROKE_PART_HEIGHT * ph]
    if len(bodies) != 1 or bodies[0, 3] < STROKE_BODY_HEIGHT * ph:
        return False
    top, bottom = int(ys.min()) - py, int(ys.max()) - py
    if bodies[0, 1] + bodies[0, 3] / 2 > (top + bottom) / 2:
        return True  # the body hangs from the run
    x0, x1 = int(xs.min()) - px, int(xs.max()) + 1 - px
    deep = max(STROKE_MIN_BELOW_PX, STROKE_INK_BELOW * (bottom - top + 1))
    for x, y, w, h in parts[:, :4]:
        within = max(0, min(x + w, x1) - max(x, x0)) / w
        if y > bottom and y + h - 1 - bottom >= deep and within >= STROKE_BELOW_WITHIN:
            return True  # the glyph goes on below the run, under it
    return False


def sizeable_pieces(mask: np.ndarray) -> np.ndarray:
    """[k, 5] x, y, w, h, area of the mask's connected pieces that are not specks (MIN_PIECE_SHARE)."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return sizeable(stats)


def sizeable(stats: np.ndarray) -> np.ndarray:
    """The rows of ``connectedComponentsWithStats`` stats (background first) that are not specks."""
    pieces = stats[1:]
    return pieces[pieces[:, 4] >= MIN_PIECE_SHARE * max(1, int(pieces[:, 4].max(initial=1)))]


def piece_height(pieces: np.ndarray, crop_height: int) -> float:
    """The median height of sizeable pieces (the crop's height when there are none)."""
    return float(np.median(pieces[:, 3])) if len(pieces) else float(crop_height)


@dataclass(frozen=True)
class Ink:
    """The field's ink as connected pieces (box edges and underlines removed)."""

    mask: np.ndarray
    pieces: np.ndarray  # [k, 4] x, y, w, h of each connected piece
    lines: np.ndarray  # [k, 4] x, y, w, h of the long flat runs taken out of the mask

    @classmethod
    def of(cls, grey: np.ndarray | Ink, lines_from: np.ndarray | None = None) -> Ink:
        """The ink of a grey crop; an ``Ink`` is returned as it is, so a field read several times (the
        field reading and the fused reader's candidates) finds its ink once.

        ``lines_from``: the same crop before its rules were painted out (``without_rules`` takes the
        stroke under raised cents away from a field found on a check, for the field model), whose
        lines are the ones that count for the layout."""
        if isinstance(grey, Ink):
            return grey
        mask, lines = ink_mask(grey)
        if lines_from is not None and lines_from is not grey:
            lines = ink_mask(lines_from)[1]
        return cls(mask, sizeable_pieces(mask)[:, :4], lines)

    @cached_property
    def digit_pieces(self) -> np.ndarray:
        """The pieces a digit may take: none flatter than SLIVER_HEIGHT of the median piece (the flat
        remnant of a ruled line beside a cent), none that the crop's top or bottom edge cuts and that
        stands under EDGE_CUT_HEIGHT of the tallest piece (the feet of a date printed over the box:
        "343^00" took them for its "3" and "4" and the cents never looked raised); all of them when
        none is left. Kept once per field: every candidate's characters look them up again."""
        if not len(self.pieces):
            return self.pieces
        ys, hs = self.pieces[:, 1], self.pieces[:, 3]
        solid = hs > SLIVER_HEIGHT * float(np.median(hs))
        cut_by_edge = ((ys == 0) | (ys + hs >= self.mask.shape[0])) & (hs < EDGE_CUT_HEIGHT * hs.max())
        kept = solid & ~cut_by_edge
        return self.pieces[kept] if kept.any() else self.pieces

    @cached_property
    def slivers(self) -> tuple[float, float]:
        """SLIVER_HEIGHT of the median height of (all pieces, the digit pieces)."""

        def sliver(pieces: np.ndarray) -> float:
            return SLIVER_HEIGHT * float(np.median(pieces[:, 3])) if len(pieces) else 0.0

        return sliver(self.pieces), sliver(self.digit_pieces)


def char_box(frames: FieldFrames, char: DecodedChar, ink: Ink, taken: BBox | None = None) -> BBox:
    """The crop box of one character: the ink pieces under the middle of its frames' columns (a CTC
    character fires on a few frames, narrower than the glyph, and late: see PEAK_LAG_FRAMES), else the
    nearest piece (further to the left than to the right: LATE_INK_FRAMES; of two about as near,
    TIE_FRAMES, a digit takes the one the character before did not take: ``taken``, its box), else
    those columns' inked rows. A digit never takes a piece flatter than SLIVER_HEIGHT of the pieces'
    median height."""
    x0, x1 = frames.columns(char.first_frame, char.last_frame)
    middle = char_middle(frames, char)
    # A digit is never a flat remnant of a ruled line (an underline's edge rows left beside a cent).
    is_digit = frames.alphabet[char.label - 1] in DIGITS
    pieces = ink.digit_pieces if is_digit else ink.pieces
    xs, ys, ws, hs = (pieces[:, k] for k in range(4)) if len(pieces) else ([],) * 4
    under = [i for i in range(len(pieces)) if xs[i] <= middle < xs[i] + ws[i]]
    if len(under) > 1:  # a mark and the flat remnant of a ruled line under it: the mark
        sliver = ink.slivers[1 if is_digit else 0]
        under = [i for i in under if hs[i] > sliver] or under
    if not under and len(pieces):
        gaps = np.maximum(xs - middle, 0) + np.maximum(middle - (xs + ws), 0)
        reach = np.where(xs + ws <= middle, LATE_INK_FRAMES, NEAREST_INK_FRAMES) * frames.frame_width
        near = gaps <= reach
        if near.any():
            nearest = int(np.where(near, gaps, np.inf).argmin())
            if is_digit and taken is not None:  # a cent beside the digit before is its own piece
                tx, _ty, tw, _th = taken
                free = near & ~((xs >= tx) & (xs + ws <= tx + tw))
                free &= gaps <= gaps[nearest] + TIE_FRAMES * frames.frame_width
                if free.any():
                    nearest = int(np.where(free, gaps, np.inf).argmin())
            under = [nearest]
    if under:
        left = min(int(xs[i]) for i in under)
        top = min(int(ys[i]) for i in under)
        right = max(int(xs[i] + ws[i]) for i in under)
        bottom = max(int(ys[i] + hs[i]) for i in under)
        return (left, top, right - left, bottom - top)
    rows = np.flatnonzero(ink.mask[:, x0:x1].any(axis=1))
    if rows.size == 0:
        return (x0, 0, x1 - x0, frames.crop_height)
    return (x0, int(rows[0]), x1 - x0, int(rows[-1] - rows[0] + 1))


def digit_probabilities(frames: FieldFrames, char: DecodedChar) -> np.ndarray:
    """The ten digit classes' probabilities at the frame where this character peaks.

    They are not renormalised: mass on blank or marks is doubt about the digit, and it stays doubt."""
    span = frames.probs[char.first_frame : char.last_frame + 1]
    peak = span[int(span[:, char.label].argmax())]
    columns = [frames.alphabet.index(d) + 1 for d in DIGITS]
    return peak[columns]


def raised_cents(digit_boxes: list[BBox], lines: np.ndarray) -> bool:
    """Whether the last two digits are written small and raised above the others' line and above
    the digit before them (at least 1 before): well above it, or a little less when written as a
    superscript, small and starting level with the others' tops, or a little above it when they are
    underlined (one of ``lines``, [k, 4] x, y, w, h, runs under them: ``underlined``)."""
    if len(digit_boxes) < 3:
        return False
    body, cents = digit_boxes[:-2], digit_boxes[-2:]
    # Above the others' line and above the last of them: cents jump up from the amount; zeros that
    # drift up the page one by one ("767,000" written uphill) are not cents.
    baseline = min(float(np.median([y + h for _, y, _, h in body])), float(body[-1][1] + body[-1][3]))
    height = float(np.median([h for _, _, _, h in body]))
    top = float(np.median([y for _, y, _, _ in body]))

    def is_cent(y: int, h: int) -> bool:
        rise, size = (baseline - y - h) / height, h / height
        raised = rise >= RAISED_RISE and size <= RAISED_MAX_HEIGHT
        level_top = y - top <= SUPERSCRIPT_TOP_DROP * height
        superscript = rise >= SUPERSCRIPT_RISE and size <= SUPERSCRIPT_MAX_HEIGHT and level_top
        return raised or superscript

    if all(is_cent(y, h) for _, y, _, h in cents):
        return True
    if not underlined(body[-1], cents, lines, height):
        return False
    return all(
        (baseline - y - h) / height >= UNDERLINED_RISE and h / height <= UNDERLINED_MAX_HEIGHT
        for _, y, _, h in cents
    )


def underlined(before: BBox, cents: list[BBox], lines: np.ndarray, height: float) -> bool:
    """Whether one of ``lines`` is a pen stroke under the cents and not under the digit ``before``
    them: it reaches under both cents' middles, starts right of the middle of the digit before and
    ends soon after the cents (a rule or a box edge under the whole amount does not), lies below the
    cents' middles, at most UNDERLINE_MAX_GAP of a digit below their bottoms, and is as thick as a
    pen's stroke (UNDERLINE_MIN_THICKNESS)."""
    first, last = cents[0], cents[-1]
    middles = (first[0] + first[2] / 2, last[0] + last[2] / 2)
    middle_row = max(y + h / 2 for _, y, _, h in cents)
    bottom = max(y + h for _, y, _, h in cents)
    for x, y, w, h in lines:
        under_both = x <= middles[0] and x + w >= middles[1]
        alone = x >= before[0] + before[2] / 2 and x + w <= last[0] + last[2] + UNDERLINE_OVERHANG * height
        below = middle_row < y <= bottom + UNDERLINE_MAX_GAP * height
        if under_both and alone and below and h >= max(2.0, UNDERLINE_MIN_THICKNESS * height):
            return True
    return False


def ends_in_thousands_group(text: str) -> bool:
    """Whether the amount ends in a digit, a separator and three digits ("4.057", "39.300.-"): a
    group of thousands, whose last two digits are never cents however they are written. A mark with
    no digit before it groups nothing (",028": a speck before "0^28")."""
    core = text.rstrip("-=.,")
    return len(core) > 4 and core[-5].isdigit() and core[-4] in POINT_MARKS and core[-3:].isdigit()


def field_glyphs(
    frames: FieldFrames, grey: np.ndarray | Ink, to_image: Callable[[BBox], BBox] = lambda box: box
) -> list[Glyph]:
    """The best-path characters as glyphs (boxes in image pixels via ``to_image``), left to right."""
    return glyphs_of(frames, grey, with_lost_point(frames, best_path(frames.probs)), to_image)


def with_lost_point(frames: FieldFrames, chars: list[DecodedChar]) -> list[DecodedChar]:
    """The best path with its decimal point put back where the model saw one that blank outweighed.

    A point written against the next digit ("613.00" with the dot touching the "0") shares its frames
    with that digit's, and the best path drops it: both readers then read 61300.00, confidently. The
    point is put back when, between the third- and second-last digits, a frame gives a point or a
    comma at least ``LOST_POINT`` and the reading has no separator or slash at all. On 233 synthetic
    checks read right without a point no such frame reached 0.1; of 800 real ORAND fields one reached
    0.27 (a stroke of the "5" in "6450"), which the threshold leaves alone.
    """
    text = "".join(frames.alphabet[c.label - 1] for c in chars)
    digit_at = [i for i, ch in enumerate(text) if ch in DIGITS]
    marks = [frames.alphabet.index(ch) + 1 for ch in POINT_MARKS if ch in frames.alphabet]
    if len(digit_at) < 3 or not marks or any(ch in text for ch in (*POINT_MARKS, "/")):
        return chars
    first, last = chars[digit_at[-3]].last_frame + 1, chars[digit_at[-2]].first_frame
    if last <= first:
        return chars
    gap = frames.probs[first:last][:, marks]
    seen = gap.sum(axis=1)
    frame = int(seen.argmax())
    if float(seen[frame]) < LOST_POINT:
        return chars
    label = marks[int(gap[frame].argmax())]
    point = DecodedChar(label, first + frame, first + frame, float(seen[frame]))
    # In frame order: after the third-last digit and any mark before the point, at the latest just
    # before the second-last digit (whose first frame is ``last``).
    at = next(
        i for i in range(digit_at[-3] + 1, digit_at[-2] + 1) if chars[i].first_frame > point.first_frame
    )
    return [*chars[:at], point, *chars[at:]]


def aligned_chars(frames: FieldFrames, text: str) -> list[DecodedChar] | None:
    """Any string over the alphabet placed on the frames by its likeliest alignment (None: it cannot
    be aligned), so a candidate that is not the best path still gets boxes and digit distributions."""
    labels = frames.labels_of(text)
    spans = best_alignment(frames.probs, labels)
    if spans is None:
        return None
    return [
        DecodedChar(label, first, last, float(frames.probs[first : last + 1, label].max()))
        for label, (first, last) in zip(labels, spans, strict=True)
    ]


def glyphs_of(
    frames: FieldFrames,
    grey: np.ndarray | Ink,
    chars: list[DecodedChar],
    to_image: Callable[[BBox], BBox] = lambda box: box,
) -> list[Glyph]:
    """Decoded characters as glyphs (boxes in image pixels via ``to_image``), left to right."""
    text = "".join(frames.alphabet[c.label - 1] for c in chars)
    ink = Ink.of(grey)
    boxes: list[BBox] = []
    for char in chars:
        boxes.append(char_box(frames, char, ink, boxes[-1] if boxes else None))
    digit_at = [i for i, ch in enumerate(text) if ch in DIGITS]
    if len(digit_at) >= 3:
        boxes = with_first_cent_cut(frames, chars, boxes, digit_at[-3], digit_at[-2], ink.mask)
    lifted = not closed_in_whole_units(text) and raised_cents([boxes[i] for i in digit_at], ink.lines)
    raised = set(digit_at[-2:]) if lifted else set()
    fraction = fraction_positions(text)
    glyphs = []
    for i, (char, ch, box) in enumerate(zip(chars, text, boxes, strict=True)):
        bbox = to_image(box)
        if i in fraction:
            glyphs.append(Glyph("fraction", ch, char.probability, bbox))
        elif ch in DIGITS:
            # The string's own digit: for a candidate that is not the best path, the frame where its
            # digit peaks can still give another digit more (its amount must be the string scored).
            glyphs.append(Glyph.digit(digit_probabilities(frames, char), bbox, raised=i in raised, char=ch))
        else:
            glyphs.append(Glyph(MARK_KINDS.get(ch, "unknown"), ch, char.probability, bbox))
    return glyphs


def char_middle(frames: FieldFrames, char: DecodedChar) -> float:
    """The column where a character's glyph is sought: its frames' middle, PEAK_LAG_FRAMES left."""
    x0, x1 = frames.columns(char.first_frame, char.last_frame)
    return (x0 + x1) / 2 - PEAK_LAG_FRAMES * frames.frame_width


def with_first_cent_cut(
    frames: FieldFrames,
    chars: list[DecodedChar],
    boxes: list[BBox],
    before: int,
    after: int,
    mask: np.ndarray,
) -> list[BBox]:
    """``boxes`` with the one box that the last dollar digit (``before``) and the first cent
    (``after``) share, when they were written touching, cut at the least inked column near the
    middle of their frames' middles (``thinnest_column``, ``split_box``)."""
    if boxes[before] != boxes[after]:
        return boxes
    middle = round((char_middle(frames, chars[before]) + char_middle(frames, chars[after])) / 2)
    column = thinnest_column(mask, boxes[before], middle, round(CUT_REACH_FRAMES * frames.frame_width))
    halves = split_box(mask, boxes[before], column)
    if halves is None:
        return boxes
    cut = list(boxes)
    cut[before], cut[after] = halves
    return cut


def thinnest_column(mask: np.ndarray, box: BBox, column: int, reach: int) -> int:
    """The column of ``box`` within ``reach`` of ``column`` that crosses the least ink (of equals, the
    nearest to ``column``), never in the outer CUT_EDGE share of the box's width on either side, when
    that ink is a join thinner than a pen stroke (at most THIN_JOIN of the box's height); else
    ``column``.

    Why: a CTC character fires late and narrower than its glyph, so the frames' middle between two
    characters is only near where they meet. Two glyphs joined by an underline's remnant ("2625^00":
    the "5" and the first cent, the frames' middle 12 columns inside the "5") meet where a pixel or
    two cross; a cut through the "5" gave the cent the "5"'s height, and the cents never looked
    raised. A column crossing one whole stroke is no join: the thinnest column of a "4" and the cent
    it touches ("31324^00") is the 4's own crossbar, and a cut there left the cent the 4's stem."""
    x, y, w, h = box
    edge = math.ceil(CUT_EDGE * w)
    low, high = max(x + edge, column - reach), min(x + w - 1 - edge, column + reach)
    if low > high:
        return column
    ink = np.count_nonzero(mask[y : y + h, low : high + 1], axis=0)
    columns = np.arange(low, high + 1)
    thinnest = int(np.lexsort((np.abs(columns - column), ink))[0])
    return int(columns[thinnest]) if ink[thinnest] <= THIN_JOIN * h else column


def split_box(mask: np.ndarray, box: BBox, column: int) -> tuple[BBox, BBox] | None:
    """A box two characters share, cut at ``column`` into the ink on each side (None when a side has
    none). The last dollar digit and the first cent written touching are one piece; both took its
    full height, and the cents never looked raised ("63^00" read 6300.00)."""
    x, y, w, h = box
    if not x < column < x + w:
        return None
    sides = []
    for left, right in ((x, column), (column, x + w)):
        rows, cols = np.nonzero(mask[y : y + h, left:right])
        if not rows.size:
            return None
        top, first = int(rows.min()), int(cols.min())
        sides.append((left + first, y + top, int(cols.max()) + 1 - first, int(rows.max()) + 1 - top))
    return sides[0], sides[1]


def closed_by_terminator(text: str) -> bool:
    """Whether the amount ends in a terminator ("15700-", "1234.-", "88,00,000/-" ends in "-"): it
    closes an amount in whole units, whose last digits are never cents however they are written
    (ORAND `a_car_000929` "15700-", its small zeros joined to the "7": cut off it, they stood
    small and high)."""
    return text.rstrip().endswith(WHOLE_TERMINATORS)


def closed_in_whole_units(text: str) -> bool:
    """Whether the amount as written is closed in whole units, by a terminator or a last group of
    thousands: its last two digits are then never cents, however they are lifted or pointed."""
    return closed_by_terminator(text) or ends_in_thousands_group(text)


def fraction_positions(text: str) -> set[int]:
    """Positions of a written fraction's "/100" ("1234 56/100"): the slash and the digits after it.

    The "100" is written small, and the field model often loses its zeros ("3271/1" for "32 71/100").
    A slash followed by "1" or "10" at the end of the field is such a tail: a terminator slash
    ("1234/") has nothing after it, and before a cut tail the slash needs two digits for the cents.
    """
    core = text.rstrip("-=.")
    slash = core.rfind("/")
    tail = core[slash + 1 :]
    before = [ch for ch in core[:slash] if ch in DIGITS]
    needed = 1 if tail == FRACTION_TAIL else FRACTION_CENTS
    if slash <= 0 or not tail or not FRACTION_TAIL.startswith(tail) or len(before) < needed:
        return set()
    return set(range(slash, slash + 1 + len(tail)))


def read_frames(
    frames: FieldFrames,
    grey: np.ndarray | Ink,
    decimal: Decimal = "auto",
    to_image: Callable[[BBox], BBox] = lambda box: box,
) -> Assembly:
    """The field model's reading of one field, assembled by the same rules as the digit path's."""
    glyphs = field_glyphs(frames, grey, to_image)
    return assemble(glyphs, decimal=decimal, in_order=True)
