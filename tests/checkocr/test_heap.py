"""The malloc thresholds: set once where glibc has mallopt, a harmless no-op elsewhere."""

from __future__ import annotations

import platform

import pytest

from checkocr import heap


def test_thresholds_are_set_once_on_glibc() -> None:
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert heap.keep_freed_memory() is True
    assert heap.keep_freed_memory() is True  # cached: the second call sets nothing


def test_without_mallopt_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heap, "find_mallopt", lambda: None)
    heap.keep_freed_memory.cache_clear()
    try:
        assert heap.keep_freed_memory() is False
    finally:
        heap.keep_freed_memory.cache_clear()


def test_the_thresholds_passed_are_glibcs_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(heap, "find_mallopt", lambda: lambda param, value: calls.append((param, value)) or 1)
    heap.keep_freed_memory.cache_clear()
    try:
        assert heap.keep_freed_memory() is True
    finally:
        heap.keep_freed_memory.cache_clear()
    assert calls == [(heap.M_MMAP_THRESHOLD, 4 << 20), (heap.M_TRIM_THRESHOLD, 32 << 20)]
