"""From a clean field mask to ordered glyphs: digits, separators, terminators, "$", "*", raised cents.

Handwritten amounts break every simple rule: digits touch, a "5" loses its flag, dots sit on the
baseline or drift, and the writer ends with ".-", "=" or "/-". Splitting only uses geometry; where
geometry cannot decide (is this wide blob one "0" or "00"?) it emits several *options* for a segment
and lets the classifier choose (``choose_options``), so that all candidates of a field go to the model
in one batch. Geometry is measured against the field's own digit height (``reference_height``), so it
works at any resolution; every ratio is named in ``segmentation.ratios``.

The steps, one module each: ``blobs`` (components, reference height, joining pieces of a glyph),
``underline`` (the stroke under raised cents), ``shapes`` (what a blob is by its shape), ``cuts``
(options for touching digits), ``segments`` (reading the sequence: signs, fractions, flourishes,
raised cents) and ``options`` (choosing a cut after the classifier). This module is the entry point.
"""

from __future__ import annotations

import numpy as np

from segmentation.blobs import (
    attach_flags,
    blob_image,
    find_blobs,
    merge_overlapping,
    off_line,
    reference_height,
    writing_line,
)
from segmentation.cuts import digit_options
from segmentation.options import choose_options
from segmentation.segments import (
    Piece,
    Segment,
    mark_fraction,
    mark_leading,
    mark_raised,
    mark_trailing_flourish,
)
from segmentation.shapes import classify_shape, is_slash_like, loops_side_by_side
from segmentation.underline import mark_underlined, strip_underline

__all__ = ["Piece", "Segment", "choose_options", "is_slash_like", "loops_side_by_side", "segment_field"]


def segment_field(mask: np.ndarray, stroke_width: float = 2.0, leading_sign: bool = False) -> list[Segment]:
    """Ordered segments of a clean field mask (uint8, ink > 0)."""
    blobs, labels = find_blobs(mask)
    if not blobs:
        return []
    ref_h = reference_height(blobs)
    mask, underline = strip_underline(mask, blobs, ref_h, stroke_width)
    if underline is not None:
        blobs, labels = find_blobs(mask)
        if not blobs:
            return []
        ref_h = reference_height(blobs)
    baseline = writing_line(blobs, ref_h, float(mask.shape[0]))
    blobs = merge_overlapping(blobs, ref_h, baseline)
    blobs = attach_flags(blobs, ref_h, baseline)
    ref_h = reference_height(blobs)
    baseline = writing_line(blobs, ref_h, float(mask.shape[0]))
    blobs = [b for b in blobs if not off_line(b, ref_h, baseline)]
    segments: list[Segment] = []
    images: list[np.ndarray] = []
    for blob in blobs:
        image = blob_image(labels, blob)
        images.append(image)
        kind, char = classify_shape(blob, image, ref_h, baseline, stroke_width)
        if kind == "digit":
            segment = Segment("digit", blob.bbox, options=digit_options(image, blob, ref_h))
            segment.slash_like = is_slash_like(image, ref_h)
        else:
            segment = Segment(kind, blob.bbox, char=char)
        segments.append(segment)
    mark_leading(segments, images, ref_h, baseline, leading_sign, mask.shape[1])
    mark_fraction(segments, ref_h)
    mark_trailing_flourish(segments)
    mark_raised(segments)
    if underline is not None:
        mark_underlined(segments, underline)
    return segments
