"""``python -m checkocr`` is the same as the ``checkocr`` command."""

from checkocr.cli import app

app(prog_name="checkocr")
