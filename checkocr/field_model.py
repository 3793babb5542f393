"""The field model at serving time: a CTC text recogniser over the whole amount field, by onnxruntime.

The shipped model is PP-OCRv6's small recogniser with its output cut down to the amount alphabet
(``training/field_model.py`` does the surgery). It reads a field 48 pixels high and as wide as the
field's aspect ratio asks, and emits one distribution over blank + the alphabet per 8 input columns.
How to feed it (height, margins, padding, normalisation) is part of its card, so a retrained model
that wants other settings brings them along, and the card's sha256 is verified before first use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
from pydantic import BaseModel, Field

from checkocr.model_card import CardBase, ModelError, load_card
from checkocr.schemas import ModelInfo

BLANK_NAME = "<blank>"
MIN_FIELD_HEIGHT = 8  # pixels: below this a crop holds no legible handwriting


class FieldInputSpec(BaseModel):
    name: str
    shape: list[int | str]
    dtype: str
    layout: str
    height: int = Field(gt=0, description="Rows the field is resized to, aspect kept")
    min_width: int = Field(gt=0, description="Narrower inputs are padded on the right to this width")
    width_multiple: int = Field(gt=0, description="Input widths are padded up to a multiple of this")
    max_width: int = Field(gt=0, description="Wider fields are squeezed to this width")
    margin_fraction: float = Field(ge=0.0, description="Paper added left and right, x field height")
    normalisation: str
    pad_value: float = Field(description="Value of the padding columns, after normalisation")


class FieldOutputSpec(BaseModel):
    name: str
    classes: list[str] = Field(description="Class 0 is the CTC blank, then the alphabet in order")


class FieldModelCard(CardBase):
    framework: dict[str, str]
    source: dict[str, str]
    input: FieldInputSpec
    output: FieldOutputSpec
    metrics: dict[str, object]


@dataclass(frozen=True)
class FieldFrames:
    """The model's frame distributions for one field, and where each frame lies in the field crop."""

    probs: np.ndarray  # [T, C], C = blank + alphabet
    alphabet: str  # class k >= 1 is alphabet[k - 1]
    crop_width: int
    crop_height: int
    frame_width: float  # field-crop pixels per frame
    origin: float  # field-crop x of frame 0's left edge (negative when a margin was added)

    def columns(self, first_frame: int, last_frame: int) -> tuple[int, int]:
        """The crop columns [x0, x1) that frames first..last cover, clipped to the crop."""
        x0 = self.origin + first_frame * self.frame_width
        x1 = self.origin + (last_frame + 1) * self.frame_width
        left = int(min(max(0, math.floor(x0)), self.crop_width - 1))
        right = int(min(self.crop_width, max(left + 1, math.ceil(x1))))
        return left, right

    def labels_of(self, text: str) -> list[int]:
        """Class indices of a string over the alphabet (ValueError for a character outside it)."""
        try:
            return [self.alphabet.index(ch) + 1 for ch in text]
        except ValueError:
            raise ValueError(
                f"{text!r} has characters outside the field alphabet {self.alphabet!r}"
            ) from None


class FieldModel:
    """One ONNX session with a fixed thread count; thread-safe for concurrent ``frames`` calls."""

    def __init__(self, model_path: Path, threads: int = 1) -> None:
        self.card: FieldModelCard = load_card(model_path, schema=FieldModelCard)
        classes = self.card.output.classes
        if not classes or classes[0] != BLANK_NAME or any(len(c) != 1 for c in classes[1:]):
            raise ModelError(f"{model_path}: card classes must be '{BLANK_NAME}' then single characters")
        self.alphabet = "".join(classes[1:])
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Every field has its own width, so an arena sized by the widest field seen so far would only
        # grow over a long-running service; plain allocations are returned after each call.
        options.enable_cpu_mem_arena = False
        try:
            self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for corrupt graphs
            raise ModelError(f"{model_path}: onnxruntime cannot load it: {exc}") from exc
        names = {i.name for i in self.session.get_inputs()}
        if self.card.input.name not in names:
            raise ModelError(f"{model_path}: card input '{self.card.input.name}' is not among {names}")
        self.info = ModelInfo(name=self.card.name, version=self.card.version, sha256=self.card.sha256)

    def prepare(self, grey: np.ndarray) -> tuple[np.ndarray, float, float]:
        """Grey field crop (uint8, dark ink on light paper) -> (model input [1, 3, H, W], x scale, margin).

        The crop gets a margin of paper (its own edge columns repeated) on both sides, is resized to
        the model's height with its aspect kept, normalised to [-1, 1] and padded on the right to the
        model's minimum width: the recogniser was trained on text lines padded that way, and reads a
        tight crop worse than one with room around it.
        """
        spec = self.card.input
        height = grey.shape[0]
        margin = round(spec.margin_fraction * height)
        if margin:
            grey = cv2.copyMakeBorder(grey, 0, 0, margin, margin, cv2.BORDER_REPLICATE)
        resized_width = min(spec.max_width, max(1, math.ceil(spec.height * grey.shape[1] / height)))
        shrinking = resized_width < grey.shape[1]
        resized = cv2.resize(
            grey,
            (resized_width, spec.height),
            interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR,
        )
        padded_width = max(
            spec.min_width, math.ceil(resized_width / spec.width_multiple) * spec.width_multiple
        )
        batch = np.full((1, 3, spec.height, padded_width), spec.pad_value, dtype=np.float32)
        batch[0, :, :, :resized_width] = resized.astype(np.float32) / 127.5 - 1.0
        return batch, resized_width / grey.shape[1], float(margin)

    def frames(self, grey: np.ndarray) -> FieldFrames:
        """Runs the model on a grey field crop (at least MIN_FIELD_HEIGHT rows; ValueError otherwise)."""
        if grey.ndim != 2 or grey.dtype != np.uint8:
            raise ValueError(f"expected a 2-D uint8 greyscale crop, got {grey.dtype} {list(grey.shape)}")
        height, width = grey.shape
        if height < MIN_FIELD_HEIGHT or width < 2:
            raise ValueError(f"the field is {width}x{height} px, too small to hold handwriting")
        batch, scale, margin = self.prepare(grey)
        probs = self.session.run([self.card.output.name], {self.card.input.name: batch})[0][0]
        frame_width = batch.shape[3] / probs.shape[0] / scale
        return FieldFrames(probs, self.alphabet, width, height, frame_width, -margin)

    def warm_up(self) -> None:
        """One inference so the first real request does not pay for graph initialisation."""
        self.frames(np.full((48, 160), 255, dtype=np.uint8))
