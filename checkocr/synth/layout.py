"""The printed face of a US check: bank, payer, date, payee and legal lines, memo, signature, MICR line
and the courtesy-amount box with its "$".

Two stocks: personal (6 x 2.75 in) and business (8.5 x 3.5 in), each element placed in inches with a
little random play so no two checks share exact coordinates (a locator must not learn one template).
Printed text uses OpenCV's Hershey fonts; the payee, date and legal amount, written by hand on real
checks, use the Hershey script face.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from checkocr.synth.handwriting import Box

SIZES_IN = {"personal": (6.0, 2.75), "business": (8.5, 3.5)}
BOX_WIDTH_IN = {"personal": (1.3, 1.5), "business": (1.6, 1.9)}
BANKS = (
    "FIRST NATIONAL BANK",
    "COMMUNITY SAVINGS BANK",
    "RIVERSIDE CREDIT UNION",
    "MIDLAND TRUST COMPANY",
    "LAKESHORE FEDERAL",
    "PIONEER STATE BANK",
    "HARBOR BANK & TRUST",
)
FIRST = ("James", "Mary", "Robert", "Linda", "Michael", "Susan", "David", "Karen", "Maria", "Chen", "Aisha")
LAST = ("Smith", "Johnson", "Garcia", "Miller", "Davis", "Lopez", "Wilson", "Nguyen", "Patel", "Brown")
PAYEES = (
    "City Water Dept.",
    "Acme Roofing LLC",
    "Dr. A. Patel",
    "Green Lawn Services",
    "State Farm",
    "Oak Street Dental",
    "Northside Utilities",
    "Jane Doe",
    "Bright Futures School",
)
STREETS = ("Main St", "Oak Ave", "Maple Dr", "Elm St", "Cedar Ln", "Lake Rd")
CITIES = ("Springfield, IL 62701", "Madison, WI 53703", "Austin, TX 78701", "Salem, OR 97301")
PRINT_FONTS = (cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX)
SCRIPT = cv2.FONT_HERSHEY_SCRIPT_SIMPLEX


@dataclass(frozen=True)
class FieldGeometry:
    """Where the courtesy amount goes and how its box is printed."""

    box: Box  # the nominal box (also for the underline style), before skew, including line width
    style: str  # rectangle | underline
    dollar_inside: bool  # "$" printed inside the box, so writing starts right of it
    write_from: int | None  # x where handwriting may start when "$" is inside


@cache
def cap_height(font: int, thickness: int) -> int:
    """Height of a capital at font scale 1 (cached: getTextSize is slow relative to drawing)."""
    (_, cap), _ = cv2.getTextSize("H", font, 1.0, thickness)
    return cap


class Printer:
    """Draws printed elements in one ink grey, in inches, on a uint8 canvas."""

    def __init__(self, canvas: np.ndarray, dpi: int, ink: int, font: int) -> None:
        self.canvas, self.dpi, self.ink, self.font = canvas, dpi, ink, font

    def px(self, inches: float) -> int:
        return round(inches * self.dpi)

    def scale_for(self, cap_in: float, font: int, thickness: int) -> float:
        return cap_in * self.dpi / cap_height(font, thickness)

    def text(
        self,
        x_in: float,
        y_in: float,
        text: str,
        cap_in: float,
        font: int | None = None,
        bold: bool = False,
        max_width_in: float | None = None,
    ) -> float:
        """Text with its baseline at (x, y); shrinks to ``max_width_in``. Returns the right edge in inches."""
        face = self.font if font is None else font
        thickness = max(1, round(self.dpi / (110 if bold else 220)))
        scale = self.scale_for(cap_in, face, thickness)
        (width, _), _ = cv2.getTextSize(text, face, scale, thickness)
        if max_width_in is not None and width > max_width_in * self.dpi:
            scale *= max_width_in * self.dpi / width
            width = int(max_width_in * self.dpi)
        cv2.putText(
            self.canvas, text, (self.px(x_in), self.px(y_in)), face, scale, self.ink, thickness, cv2.LINE_AA
        )
        return x_in + width / self.dpi

    def line(self, x0: float, y0: float, x1: float, y1: float, width_in: float = 0.008) -> None:
        thickness = max(1, self.px(width_in))
        cv2.line(
            self.canvas,
            (self.px(x0), self.px(y0)),
            (self.px(x1), self.px(y1)),
            self.ink,
            thickness,
            cv2.LINE_AA,
        )


def micr_symbol(printer: Printer, x_in: float, y_in: float, cap_in: float, symbol: str) -> float:
    """E-13B transit (bar + two blocks) and on-us (two blocks over a bar) symbols as filled rectangles."""
    c, x, y = printer.canvas, printer.px(x_in), printer.px(y_in)
    h = printer.px(cap_in)
    u = max(1, h // 5)
    if symbol == "transit":
        cv2.rectangle(c, (x, y - h), (x + u, y), printer.ink, -1)
        cv2.rectangle(c, (x + 2 * u, y - h), (x + 4 * u, y - h + 2 * u), printer.ink, -1)
        cv2.rectangle(c, (x + 2 * u, y - 2 * u), (x + 4 * u, y), printer.ink, -1)
    else:
        cv2.rectangle(c, (x, y - h), (x + u, y - h + 2 * u), printer.ink, -1)
        cv2.rectangle(c, (x + 2 * u, y - h), (x + 3 * u, y - h + 2 * u), printer.ink, -1)
        cv2.rectangle(c, (x, y - u), (x + 3 * u, y), printer.ink, -1)
    return x_in + 5 * u / printer.dpi


def micr_line(printer: Printer, rng: np.random.Generator, width_in: float, y_in: float) -> None:
    """Routing number between transit symbols, account number ending in on-us, check number."""
    routing = "".join(str(d) for d in rng.integers(0, 10, 9))
    account = "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(8, 12))))
    number = f"{int(rng.integers(100, 9999)):04d}"
    cap = 0.117
    x = rng.uniform(0.6, 1.0) * (width_in / 6.0)
    x = micr_symbol(printer, x, y_in, cap, "transit")
    x = printer.text(x + 0.03, y_in, routing, cap, cv2.FONT_HERSHEY_SIMPLEX, bold=True)
    x = micr_symbol(printer, x + 0.03, y_in, cap, "transit")
    x = printer.text(x + 0.15, y_in, account, cap, cv2.FONT_HERSHEY_SIMPLEX, bold=True)
    x = micr_symbol(printer, x + 0.03, y_in, cap, "on-us")
    printer.text(x + 0.15, y_in, number, cap, cv2.FONT_HERSHEY_SIMPLEX, bold=True)


def signature(printer: Printer, rng: np.random.Generator, x0: float, x1: float, y: float) -> None:
    """A loose scribble above the signature line."""
    t = np.linspace(0, 1, 160)
    loops = rng.uniform(3, 9)
    wobble = sum(
        rng.uniform(0.01, 0.04) * np.sin(2 * np.pi * rng.uniform(1, 6) * t + rng.uniform(0, 6))
        for _ in range(3)
    )
    xs = (
        x0
        + 0.1
        + t * (x1 - x0 - 0.4) * rng.uniform(0.6, 1.0)
        + rng.uniform(0.03, 0.08) * np.sin(2 * np.pi * loops * t)
    )
    ys = (
        y
        - 0.12
        - rng.uniform(0.04, 0.1)
        * np.cos(2 * np.pi * loops * t * rng.uniform(0.9, 1.3) + rng.uniform(0, 6))
        * (1 - 0.5 * t)
        + wobble
    )
    pts = np.round(np.stack([xs, ys], axis=1) * printer.dpi * 4).astype(np.int32)
    thickness = max(1, printer.dpi // 100)
    cv2.polylines(printer.canvas, [pts], False, int(rng.uniform(20, 80)), thickness, cv2.LINE_AA, 2)


def draw_check(
    canvas: np.ndarray, rng: np.random.Generator, layout: str, dpi: int, cents_words: str
) -> FieldGeometry:
    """Prints every element of the check face on ``canvas`` and returns the courtesy-amount field."""
    width, height = SIZES_IN[layout]
    ink = int(rng.uniform(10, 70))
    printer = Printer(canvas, dpi, ink, PRINT_FONTS[int(rng.integers(len(PRINT_FONTS)))])
    j = lambda spread=0.05: float(rng.uniform(-spread, spread))  # noqa: E731 - small positional play
    scale_y = height / 2.75
    if rng.random() < 0.6:
        inset = 0.06
        cv2.rectangle(
            canvas,
            (printer.px(inset), printer.px(inset)),
            (printer.px(width - inset), printer.px(height - inset)),
            ink,
            max(1, dpi // 150),
        )

    payer = f"{FIRST[rng.integers(len(FIRST))]} {LAST[rng.integers(len(LAST))]}".upper()
    printer.text(0.3 + j(), 0.3 * scale_y, payer, 0.09, bold=True)
    printer.text(
        0.3,
        0.3 * scale_y + 0.15,
        f"{int(rng.integers(10, 9999))} {STREETS[rng.integers(len(STREETS))]}",
        0.06,
    )
    printer.text(0.3, 0.3 * scale_y + 0.27, CITIES[int(rng.integers(len(CITIES)))], 0.06)
    printer.text(width - 0.8 + j(), 0.3 * scale_y, f"{int(rng.integers(100, 9999))}", 0.09, bold=True)
    printer.text(
        width * 0.42 + j(0.2),
        0.3 * scale_y + 0.05,
        BANKS[int(rng.integers(len(BANKS)))],
        0.1,
        font=cv2.FONT_HERSHEY_TRIPLEX,
        max_width_in=width * 0.3,
    )

    date_y = 0.8 * scale_y + j()
    printer.text(width - 2.2, date_y, "DATE", 0.06)
    printer.line(width - 1.8, date_y + 0.02, width - 0.35, date_y + 0.02)
    date = f"{int(rng.integers(1, 13))}/{int(rng.integers(1, 29))}/{int(rng.integers(2019, 2027))}"
    printer.text(width - 1.6, date_y - 0.02, date, 0.1, font=SCRIPT)

    pay_y = 1.25 * scale_y + j()
    box_w = float(rng.uniform(*BOX_WIDTH_IN[layout]))
    box_h = float(rng.uniform(0.36, 0.44))
    box_right = width - rng.uniform(0.25, 0.4)
    box_x, box_y = box_right - box_w, pay_y + 0.04 - box_h
    printer.text(0.3, pay_y - 0.14, "PAY TO THE", 0.055)
    printer.text(0.3, pay_y, "ORDER OF", 0.055)
    dollar_inside = rng.random() < 0.15
    payee_end = box_x - (0.1 if dollar_inside else 0.35)
    printer.line(1.05, pay_y + 0.02, payee_end, pay_y + 0.02)
    printer.text(
        1.2,
        pay_y - 0.03,
        PAYEES[int(rng.integers(len(PAYEES)))],
        0.11,
        font=SCRIPT,
        max_width_in=payee_end - 1.3,
    )

    style = "underline" if rng.random() < 0.2 else "rectangle"
    line_w = max(1, printer.px(0.01))
    bx0, by0 = printer.px(box_x), printer.px(box_y)
    bx1, by1 = printer.px(box_x + box_w), printer.px(box_y + box_h)
    if style == "rectangle":
        cv2.rectangle(canvas, (bx0, by0), (bx1, by1), ink, line_w)
    else:
        cv2.line(canvas, (bx0, by1), (bx1, by1), ink, line_w)
    dollar_cap = 0.12
    write_from = None
    if dollar_inside:
        right = printer.text(box_x + 0.04, box_y + box_h - 0.08, "$", dollar_cap, bold=True)
        write_from = printer.px(right + 0.04)
    else:
        printer.text(box_x - 0.17, box_y + box_h - 0.08, "$", dollar_cap, bold=True)
    half = line_w // 2 + 1
    field = Box(bx0 - half, by0 - half, bx1 - bx0 + 2 * half, by1 - by0 + 2 * half)

    legal_y = pay_y + 0.42 * scale_y + j()
    printer.line(0.3, legal_y + 0.02, width - 1.1, legal_y + 0.02)
    printer.text(width - 1.0, legal_y, "DOLLARS", 0.06)
    words_end = printer.text(0.4, legal_y - 0.02, cents_words, 0.1, font=SCRIPT, max_width_in=width - 1.7)
    if words_end < width - 1.3:
        printer.line(words_end + 0.08, legal_y - 0.05, width - 1.2, legal_y - 0.05, 0.006)

    memo_y = height - 0.6 * scale_y + j()
    printer.text(0.3, memo_y, "MEMO", 0.06)
    printer.line(0.75, memo_y + 0.02, width * 0.48, memo_y + 0.02)
    printer.line(width * 0.57, memo_y + 0.02, width - 0.3, memo_y + 0.02)
    signature(printer, rng, width * 0.57, width - 0.3, memo_y)
    micr_line(printer, rng, width, height - 0.22)
    return FieldGeometry(field, style, dollar_inside, write_from)


def canvas_size(layout: str, dpi: int) -> tuple[int, int]:
    """(height, width) in pixels."""
    width, height = SIZES_IN[layout]
    return round(height * dpi), round(width * dpi)
