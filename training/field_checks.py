"""Amount fields cut from whole synthetic checks exactly as the reader cuts them at serving time.

The field generator (``training.field_synth``) draws fields alone; a field located on a check comes
with what surrounds it there: box sides and rules the cleaning paints out, a printed "$" beside the
box, guilloche, a crop a little off the box. These examples teach the field model that context. The
checks are drawn with MNIST *training* digits (test digits stay for evaluation), located by the
reader's own ``locate_field``, cut and cleaned by ``checkocr.field_crop``, and labelled with the
handwritten characters of the check's ground truth (a raised "56" is "56", "56/100" is "56/100"; the
printed "$" of the form is not handwriting and is not in the label).
"""

from __future__ import annotations

import numpy as np

from checkocr.field_crop import cut_field, field_model_input
from checkocr.synth import FORMATS, SynthOptions, generate_check
from checkocr.synth.pool import MnistTestPool
from segmentation.locate import iou, locate_field

MIN_IOU = 0.5  # a located field overlapping the true one less than this is a miss, not an example


def check_field(
    pool: MnistTestPool, rng: np.random.Generator, alphabet: str, formats: tuple[str, ...] = FORMATS
) -> tuple[np.ndarray, str] | None:
    """(field image as the field model reads it, label) of one new synthetic check, its amount
    written in one of ``formats`` (drawn uniformly, repeats count), or None when the reader would not
    find its field or its amount holds a character outside ``alphabet``."""
    grey, truth = generate_check(rng, pool, SynthOptions(formats=formats))
    location = locate_field(grey)
    if iou(location.bbox, tuple(truth["field_bbox"])) < MIN_IOU:
        return None
    label = "".join(glyph["char"] for glyph in truth["glyphs"])
    if not label or any(ch not in alphabet for ch in label):
        return None
    field = cut_field(grey, location.reading_box, location.tilt)
    return field_model_input(field, location), label
