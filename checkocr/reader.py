"""The whole reading pipeline behind one object: decode, locate, clean, split, classify, assemble.

The service, ``checkocr read`` and batch all go through ``Reader``; it owns one classifier and holds
no per-request state, so one instance serves concurrent requests. Every digit candidate of a field
(including the alternative splits of touching digits) goes to the model in a single ONNX batch.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from checkocr.assemble import Assembly, Decimal, Glyph, assemble
from checkocr.calibration import Calibrator, fusion_mismatch, usable_calibrator
from checkocr.classifier import DigitClassifier
from checkocr.confidence import (
    digit_path_confidence,
    fused_confidence,
    located_confidence,
    review_reasons,
)
from checkocr.config import Settings
from checkocr.digit_path import adjust_priors, is_unread_sign
from checkocr.field_crop import FieldCrop, clean_crop, cut_field, field_model_input, given_field
from checkocr.field_model import FieldModel
from checkocr.field_reader import Ink, read_frames
from checkocr.fusion import fuse, has_raised_cents, keyed_facts
from checkocr.heap import keep_freed_memory
from checkocr.imageio import decode_grey, read_file_grey
from checkocr.matching import KeyedAmount
from checkocr.model_card import ModelError
from checkocr.options import READERS, Region
from checkocr.schemas import FieldInfo, ModelInfo, ReaderName, ReaderView, Reading
from segmentation.clean import CleanField
from segmentation.glyphs import to_digit_batch
from segmentation.locate import FieldLocation, locate_field
from segmentation.segments import Piece, mark_raised
from segmentation.split import Segment, choose_options, segment_field

logger = logging.getLogger("checkocr.reader")
DEFAULT_MAX_PIXELS = Settings.model_fields["max_image_pixels"].default
SEPARATOR_CONFIDENCE = 0.9  # geometry-only kinds: how often the shape rule is right on dev data


def check_region(region: str) -> None:
    if region not in ("auto", "field"):
        raise ValueError(f"region must be 'auto' or 'field', not {region!r}")


def view(result: Assembly) -> ReaderView:
    """One reader's own reading, for the fused reading's ``readers``."""
    text = "".join(c.char for c in result.characters)
    return ReaderView(amount=result.amount, text=text, confidence=result.confidence)


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 3)


class Reader:
    """Reads the courtesy amount of a check (or of a field image) into a ``Reading``."""

    def __init__(
        self,
        classifier: DigitClassifier,
        accept_threshold: float = 0.9,
        field_model: FieldModel | None = None,
        default_reader: ReaderName = "digits",
        calibrator: Calibrator | None = None,
    ) -> None:
        if not 0.0 <= accept_threshold <= 1.0:
            raise ValueError(f"accept_threshold must be in [0, 1], got {accept_threshold}")
        keep_freed_memory()  # a process that reads checks reads many: keep its arrays' pages (see heap)
        self.classifier = classifier
        self.field_model = field_model
        self.calibrator = calibrator
        self.accept_threshold = accept_threshold
        self.default_reader = default_reader
        self.check_options("auto", "auto", default_reader)
        problem = fusion_mismatch(calibrator, classifier, field_model) if calibrator else None
        if problem:
            raise ModelError(problem)

    @classmethod
    def from_settings(cls, settings: Settings) -> Reader:
        """Loads the digit model at ``settings.model_path`` and the field model at
        ``settings.field_model_path`` (ModelError when one is missing or does not match its card)."""
        classifier = DigitClassifier(settings.model_path, threads=settings.threads)
        field_model = FieldModel(settings.field_model_path, threads=settings.threads)
        return cls(
            classifier,
            accept_threshold=settings.accept_threshold,
            field_model=field_model,
            default_reader=settings.reader,
            calibrator=usable_calibrator(settings, classifier, field_model),
        )

    def read_path(
        self,
        path: str | Path,
        region: Region = "auto",
        decimal: Decimal = "auto",
        max_pixels: int = DEFAULT_MAX_PIXELS,
        reader: ReaderName | None = None,
    ) -> Reading:
        return self._decode_and_read(lambda: read_file_grey(path, max_pixels), region, decimal, reader)

    def read_bytes(
        self,
        data: bytes,
        region: Region = "auto",
        decimal: Decimal = "auto",
        max_pixels: int = DEFAULT_MAX_PIXELS,
        reader: ReaderName | None = None,
    ) -> Reading:
        return self._decode_and_read(lambda: decode_grey(data, max_pixels), region, decimal, reader)

    def _decode_and_read(
        self, decode: Callable[[], np.ndarray], region: Region, decimal: Decimal, reader: ReaderName | None
    ) -> Reading:
        """Options checked before any decoding (a bad option costs nothing), decode timed apart."""
        reader = reader or self.default_reader
        self.check_options(region, decimal, reader)
        start = time.perf_counter()
        grey = decode()
        return self._read(grey, region, decimal, reader, start, elapsed_ms(start))

    def read_array(
        self,
        grey: np.ndarray,
        region: Region = "auto",
        decimal: Decimal = "auto",
        reader: ReaderName | None = None,
    ) -> Reading:
        """Reads a decoded greyscale image (uint8, 0 ink, 255 paper; 3-channel arrays are averaged)."""
        reader = reader or self.default_reader
        self.check_options(region, decimal, reader)
        start = time.perf_counter()
        grey = np.asarray(grey)
        if grey.ndim == 3:
            grey = grey.mean(axis=2)
        if grey.ndim != 2 or min(grey.shape) < 2:
            raise ValueError(f"expected a 2-D greyscale image, got shape {grey.shape}")
        if grey.dtype != np.uint8:
            grey = np.clip(grey, 0, 255).astype(np.uint8)
        return self._read(grey, region, decimal, reader, start, 0.0)

    def check_options(self, region: str, decimal: str, reader: str) -> None:
        """ValueError for an option outside its vocabulary, or a reader whose model is not loaded."""
        check_region(region)
        if decimal not in ("auto", ".", ","):
            raise ValueError(f"decimal must be 'auto', '.' or ',', not {decimal!r}")
        if reader not in READERS:
            raise ValueError(f"reader must be one of {', '.join(READERS)}, not {reader!r}")
        if reader != "digits" and self.field_model is None:
            raise ValueError(f"reader={reader!r} needs the field model, which is not loaded")
        if reader == "fused" and self.calibrator is None:
            raise ValueError("reader='fused' is unavailable: no fusion card fitted for the loaded models")

    def _read(
        self,
        grey: np.ndarray,
        region: Region,
        decimal: Decimal,
        reader: ReaderName,
        start: float,
        decode_ms: float,
    ) -> Reading:
        timings = {"decode": decode_ms}
        t = time.perf_counter()
        location = self.locate(grey, region)
        field = cut_field(grey, location.reading_box, location.tilt)
        timings["locate"] = elapsed_ms(t)
        views = None
        if reader == "fused":
            result, views, keyed = self.read_fused(field, location, decimal, timings)
            models = [self.field_info, self.classifier.info, self.fusion_info]
        elif reader == "field":
            result, models = self.read_field(field, location, decimal, timings), [self.field_info]
            result.confidence = located_confidence(result.confidence, location.confidence)
        else:
            result, models = self.read_digits(field, location, decimal, timings), [self.classifier.info]
            result.confidence = located_confidence(result.confidence, location.confidence)
        timings["total"] = elapsed_ms(start)
        reasons = review_reasons(
            result.amount,
            result.confidence,
            self.accept_threshold,
            readers_disagree=views is not None and views["digits"].amount != views["field"].amount,
            field_found=location.source != "whole_image",
        )
        reading = Reading(
            amount=result.amount,
            amount_cents=result.amount_cents,
            confidence=result.confidence,
            needs_review=bool(reasons),
            characters=result.characters,
            field=FieldInfo(bbox=location.bbox, source=location.source),
            reader=reader,
            review_reasons=reasons,
            readers=views,
            model=models[0],
            models=models,
            timings_ms=timings,
            reason=result.reason,
        )
        if reader == "fused":
            reading._keyed_probability = keyed
        return reading

    def read_fused(
        self, field: FieldCrop, location: FieldLocation, decimal: Decimal, timings: dict[str, float]
    ) -> tuple[Assembly, dict[str, ReaderView], Callable[[KeyedAmount], float] | None]:
        """Both readers, one choice, a calibrated confidence; and a scorer for a keyed amount."""
        assert self.field_model is not None and self.calibrator is not None
        t = time.perf_counter()
        cleaned = clean_crop(field, location)  # one cleaning serves both readers
        clean_ms = elapsed_ms(t)
        digits = self.read_digits(field, location, decimal, timings, cleaned)
        timings["segment"] += clean_ms
        t = time.perf_counter()
        image = field_model_input(field, location, cleaned)
        try:
            frames = self.field_model.frames(image)
        except ValueError as exc:  # too small to hold handwriting: the digit path has nothing either
            timings["recognise"] = elapsed_ms(t)
            empty = Assembly(None, None, 0.0, [], reason=str(exc))
            views = {"digits": view(digits), "field": view(empty)}
            return empty, views, None
        timings["recognise"] = elapsed_ms(t)
        t = time.perf_counter()
        ink = Ink.of(image, lines_from=field.image)  # one search for the ink serves every candidate
        field_reading = read_frames(frames, ink, decimal, field.to_image)
        calibrator = self.calibrator
        weight = calibrator.card.digit_weight_for(has_raised_cents(digits))
        on_check = location.source != "given"
        fused = fuse(
            frames, ink, field_reading, digits, location.confidence, decimal, field.to_image, weight, on_check
        )
        timings["fuse"] = elapsed_ms(t)
        views = {"digits": view(digits), "field": view(field_reading)}

        def keyed(amount: KeyedAmount) -> float:
            facts = keyed_facts(frames, digits, fused, amount, weight)
            return calibrator.probability(facts)

        if fused.chosen is None:
            reason = field_reading.reason or digits.reason or "neither reader found an amount in the field"
            return Assembly(None, None, 0.0, field_reading.characters, reason=reason), views, keyed
        chosen = fused.chosen
        same_as_digits = "digits" in chosen.sources and chosen.assembly.amount_cents == digits.amount_cents
        characters = digits.characters if same_as_digits else chosen.assembly.characters
        confidence = fused_confidence(calibrator, fused.features)
        result = Assembly(chosen.assembly.amount, chosen.assembly.amount_cents, confidence, characters)
        return result, views, keyed

    def read_digits(
        self,
        field: FieldCrop,
        location: FieldLocation,
        decimal: Decimal,
        timings: dict[str, float],
        cleaned: CleanField | None = None,
    ) -> Assembly:
        """The digit path: clean, split into glyphs, classify every digit candidate, assemble."""
        t = time.perf_counter()
        stroke_width, segments = self.segment(field, location, cleaned)
        timings["segment"] = elapsed_ms(t)
        t = time.perf_counter()
        glyphs = self.classify(segments, stroke_width, field)
        timings["classify"] = elapsed_ms(t)
        result = assemble(glyphs, decimal=decimal)
        result.confidence = digit_path_confidence(result.confidence, segments)
        return result

    def read_field(
        self, field: FieldCrop, location: FieldLocation, decimal: Decimal, timings: dict[str, float]
    ) -> Assembly:
        """The field reader: the whole level crop through the CTC recogniser, then assembly."""
        assert self.field_model is not None
        t = time.perf_counter()
        image = field_model_input(field, location)
        try:
            frames = self.field_model.frames(image)
        except ValueError as exc:  # a crop too small to hold handwriting: unreadable, not an error
            timings["recognise"] = elapsed_ms(t)
            return Assembly(None, None, 0.0, [], reason=str(exc))
        timings["recognise"] = elapsed_ms(t)
        result = read_frames(frames, Ink.of(image, lines_from=field.image), decimal, field.to_image)
        if result.amount is None and not result.characters:
            result.reason = "the field model read no characters in the field"
        return result

    @property
    def fusion_info(self) -> ModelInfo:
        assert self.calibrator is not None
        return self.calibrator.info

    @property
    def field_info(self) -> ModelInfo:
        assert self.field_model is not None
        return self.field_model.info

    def locate(self, grey: np.ndarray, region: Region) -> FieldLocation:
        """The field to read: the whole image when ``region`` is "field", else the one found on the check."""
        return given_field(grey) if region == "field" else locate_field(grey)

    def segment(
        self, field: FieldCrop, location: FieldLocation, cleaned: CleanField | None = None
    ) -> tuple[float, list[Segment]]:
        """Cleans the cut-out field (unless given ``cleaned``) and splits it: (stroke width, segments)."""
        cleaned = cleaned or clean_crop(field, location)
        segments = segment_field(cleaned.mask, cleaned.stroke_width, leading_sign=location.boxed)
        return cleaned.stroke_width, segments

    def digit_inputs(self, grey: np.ndarray, region: Region = "auto") -> np.ndarray:
        """The model inputs [k, 28, 28, 1] of the digits the reading settles on, left to right.

        Training uses them (``training.finetune``): digits of real fields cut and normalised exactly as
        the reader cuts them at serving time, so the classifier learns the inputs it will be given.
        """
        check_region(region)
        location = self.locate(grey, region)
        field = cut_field(grey, location.reading_box, location.tilt)
        stroke_width, segments = self.segment(field, location)
        batch, _glyphs, rows = self._classify(segments, stroke_width, field)
        return batch[rows]

    def classify(self, segments: list[Segment], stroke_width: float, field: FieldCrop) -> list[Glyph]:
        """One model batch for every option of every digit segment; the best option per segment wins."""
        return self._classify(segments, stroke_width, field)[1]

    def _classify(
        self, segments: list[Segment], stroke_width: float, field: FieldCrop
    ) -> tuple[np.ndarray, list[Glyph], list[int]]:
        """(model batch, glyphs, the batch rows of the digit glyphs in order)."""
        digit_segments = [s for s in segments if s.kind == "digit"]
        images = [piece.image for s in digit_segments for option in s.options for piece in option]
        batch = to_digit_batch(images, stroke_width)
        probs = self.classifier.predict(batch) if images else np.zeros((0, 10))
        probs = adjust_priors(probs)
        per_segment: list[list[np.ndarray]] = []
        option_starts: list[list[int]] = []
        cursor = 0
        for segment in digit_segments:
            option_probs, starts = [], []
            for option in segment.options:
                option_probs.append(probs[cursor : cursor + len(option)])
                starts.append(cursor)
                cursor += len(option)
            per_segment.append(option_probs)
            option_starts.append(starts)
        chosen = iter(zip(choose_options(segments, per_segment), per_segment, option_starts, strict=True))
        glyphs: list[Glyph] = []
        rows: list[int] = []
        digit_pieces: list[tuple[int, Piece]] = []  # (glyph index, piece) of every digit read
        for segment in segments:
            if segment.kind != "digit":
                bbox = field.to_image(segment.bbox)
                glyphs.append(Glyph(segment.kind, segment.char or "?", SEPARATOR_CONFIDENCE, bbox))
                continue
            index, option_probs, starts = next(chosen)
            if is_unread_sign(segment, option_probs[0]):
                glyphs.append(Glyph("currency", "$", SEPARATOR_CONFIDENCE, field.to_image(segment.bbox)))
                continue
            option = segment.options[index]
            rows.extend(range(starts[index], starts[index] + len(option)))
            for piece, p in zip(option, option_probs[index], strict=True):
                digit_pieces.append((len(glyphs), piece))
                glyphs.append(
                    Glyph.digit(
                        p,
                        field.to_image(piece.bbox),
                        raised=segment.raised,
                        slash_like=segment.slash_like and len(option) == 1,
                    )
                )
        return batch, with_split_cents_raised(glyphs, digit_pieces), rows


def with_split_cents_raised(glyphs: list[Glyph], digit_pieces: list[tuple[int, Piece]]) -> list[Glyph]:
    """The glyphs with the last two digits raised when the pieces finally read say they are cents.

    Raised cents are marked on the segments before the classifier chooses how to cut them, so a
    cent touching the digit before it ("466^00" with the "6"'s tail in the first "0") was one tall
    blob then and only the last cent was raised: a lone raised digit is no cents. The pieces chosen
    are measured again by the same rule.
    """
    if len(digit_pieces) < 3 or all(glyphs[i].raised for i, _ in digit_pieces[-2:]):
        return glyphs
    pieces = [Segment("digit", piece.bbox) for _, piece in digit_pieces]
    mark_raised(pieces)
    if not (pieces[-1].raised and pieces[-2].raised):
        return glyphs
    lifted = list(glyphs)
    for i, _ in digit_pieces[-2:]:
        lifted[i] = dataclasses.replace(glyphs[i], raised=True)
    return lifted
