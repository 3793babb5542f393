"""Synthetic US checks with exact ground truth, for testing and benchmarking the reader.

Handwritten amounts are composed from MNIST *test* digits only (the model trains on the training split),
so reading these checks is a fair test. Typical use::

    pool = MnistTestPool.from_data_dir(settings.data_dir)
    grey, truth = generate_check(np.random.default_rng(7), pool)
    write_dataset(Path("synth"), count=100, seed=7, pool=pool, kind="field", file_format="mixed")

Ground-truth amounts (``amount``) are the Reading's decimal strings and always carry two decimals, also for
formats written without cents (``$ 25`` and ``25.-`` are ``"25.00"``). See docs/synth.md for every field.
"""

from checkocr.synth.amounts import FORMATS, amount_string, parse_written
from checkocr.synth.check import (
    RenderedCheck,
    SynthOptions,
    crop_field,
    generate_check,
    generate_field,
    render_check,
)
from checkocr.synth.pool import MnistTestPool
from checkocr.synth.writer import FILE_FORMATS, write_dataset

__all__ = [
    "FILE_FORMATS",
    "FORMATS",
    "MnistTestPool",
    "RenderedCheck",
    "SynthOptions",
    "amount_string",
    "crop_field",
    "generate_check",
    "generate_field",
    "parse_written",
    "render_check",
    "write_dataset",
]
