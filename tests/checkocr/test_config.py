"""Settings come from CHECKOCR_* variables, with validation that names the variable."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from checkocr.config import PROJECT_ROOT, Settings


def test_api_keys_are_split_and_kept_secret(monkeypatch):
    monkeypatch.setenv("CHECKOCR_API_KEYS", " alpha, beta ,,")
    settings = Settings()
    assert [key.get_secret_value() for key in settings.api_keys] == ["alpha", "beta"]
    assert "alpha" not in repr(settings)


def test_data_dir_and_threshold_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CHECKOCR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHECKOCR_ACCEPT_THRESHOLD", "0.75")
    settings = Settings()
    assert settings.data_dir == tmp_path and settings.accept_threshold == 0.75


def test_out_of_range_value_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("CHECKOCR_ACCEPT_THRESHOLD", "1.5")
    with pytest.raises(ValidationError, match="accept_threshold"):
        Settings()


def test_zero_means_usable_cpus():
    settings = Settings(max_concurrency=0, workers=0)
    assert settings.effective_concurrency() >= 1 and settings.effective_workers() >= 1
    assert Settings(workers=3).effective_workers() == 3


def test_the_fused_reader_and_a_strict_threshold_are_the_defaults(monkeypatch) -> None:
    monkeypatch.delenv("CHECKOCR_READER", raising=False)
    monkeypatch.delenv("CHECKOCR_ACCEPT_THRESHOLD", raising=False)
    settings = Settings()
    assert settings.reader == "fused" and settings.accept_threshold == 0.98


def test_docker_compose_posts_at_the_default_threshold(monkeypatch) -> None:
    """A compose deployment posts at the measured default (docs/reading.md), not at a pinned value
    that drifts from it, while an operator can still set the variable."""
    monkeypatch.delenv("CHECKOCR_ACCEPT_THRESHOLD", raising=False)
    compose = (PROJECT_ROOT / "docker-compose.yml").read_text()
    setting = re.search(r"CHECKOCR_ACCEPT_THRESHOLD: \"?\$\{CHECKOCR_ACCEPT_THRESHOLD:-([0-9.]+)\}", compose)
    assert setting is not None, "docker-compose.yml should pass CHECKOCR_ACCEPT_THRESHOLD through"
    assert float(setting.group(1)) == Settings().accept_threshold
