"""Keeping freed memory mapped between readings (glibc malloc thresholds).

A reading allocates and frees a dozen large, short-lived arrays: the decoded image and Pillow's copies
of it, connected-component label images, morphology outputs (0.3-1.2 MB each at 200 dpi). Under
glibc's default policy such blocks are mapped afresh, or the heap top is handed back to the kernel
once they are freed, so every reading faults in 1,000-5,000 new pages again: about 1.5 ms of a 22 ms
whole-check reading on one CPU thread (pages faulted per reading: ~1,100-5,000 before, ~30 after).
With fixed, higher thresholds the freed blocks stay in the heap for the next reading; the process's
peak memory is the same, it only stops returning it between readings.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
M_MMAP_THRESHOLD = -3
# Blocks larger than this (images of over ~4 megapixels) are still mapped and unmapped on their own,
# so a rare huge image does not stay in the heap.
MMAP_THRESHOLD = 4 << 20
TRIM_THRESHOLD = 32 << 20  # free memory at the heap top kept for the next reading


def find_mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt``, or None where the C library has none (musl, macOS, Windows)."""
    try:
        return ctypes.CDLL(None).mallopt
    except (OSError, TypeError, AttributeError):
        return None


@functools.cache
def keep_freed_memory() -> bool:
    """Sets the thresholds, once per process; whether they could be set."""
    mallopt = find_mallopt()
    if mallopt is None:
        return False
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
