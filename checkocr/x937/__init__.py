"""X9.37 image cash letters: read every check item's keyed amount and front image, and verify one
against the other.

Modules, one job each: ``records`` (record layouts and field positions), ``reader`` (records streamed
from a file, both framings and encodings, problems as values), ``items`` (records grouped into check
items; order and control totals checked), ``writer`` (valid files for tests and demos), ``synth``
(synthetic checks packed into a file, some keyed wrong), ``verify`` (one item's image read and its
keyed amount matched), ``batch`` (``checkocr batch`` over cash letters).
"""
