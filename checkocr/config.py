"""One place for every setting, read from ``CHECKOCR_*`` environment variables.

Operators configure the service, the batch command and training the same way, so all of them read
this one pydantic-settings class; command-line flags only override individual fields.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from checkocr.options import ReaderName

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_PATH = PROJECT_ROOT / "onnx_models" / "digits.onnx"
DEFAULT_FIELD_MODEL_PATH = PROJECT_ROOT / "onnx_models" / "field.onnx"
DEFAULT_FUSION_CARD_PATH = PROJECT_ROOT / "onnx_models" / "fusion.json"


def default_data_dir() -> Path | None:
    """``../shared/data`` beside the project, when it exists (the development and CI layout)."""
    candidate = PROJECT_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def usable_cpus() -> int:
    """CPUs this process may run on (affinity, cgroup-aware via sched_getaffinity), not the host's count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


class Settings(BaseSettings):
    """Every knob of checkocr; each maps to ``CHECKOCR_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CHECKOCR_", extra="ignore")

    data_dir: Path | None = Field(default_factory=default_data_dir, description="Dataset folder")
    model_path: Path = Field(DEFAULT_MODEL_PATH, description="ONNX digit model; its card is <stem>.json")
    field_model_path: Path = Field(
        DEFAULT_FIELD_MODEL_PATH, description="ONNX field model (CTC over the whole field); card <stem>.json"
    )
    fusion_card_path: Path = Field(
        DEFAULT_FUSION_CARD_PATH, description="The fused reader's calibration card (training/fusion.py)"
    )
    reader: ReaderName = Field(
        "fused", description="Default reader: digits (split + classify), field (CTC over the field), fused"
    )
    accept_threshold: float = Field(
        0.98, ge=0.0, le=1.0, description="Readings with confidence below this need human review"
    )
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list, description="Comma-separated API keys; empty disables auth (loopback only)"
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    max_upload_bytes: int = Field(10 * 1024 * 1024, ge=1024)
    max_cash_letter_bytes: int = Field(
        64 * 1024 * 1024, ge=1024, description="Largest X9.37 upload to POST /v1/cash-letters/verify"
    )
    cash_letter_timeout_s: float = Field(
        600.0, gt=0, description="Processing limit for one cash letter (one inference slot, item by item)"
    )
    max_image_pixels: int = Field(40_000_000, ge=10_000, description="Decoded pixel limit (bomb guard)")
    request_timeout_s: float = Field(30.0, gt=0)
    max_concurrency: int = Field(0, ge=0, description="Concurrent reads; 0 means usable CPUs")
    max_queue: int = Field(16, ge=0, description="Requests allowed to wait for a slot before 503")
    threads: int = Field(
        1,
        ge=1,
        description="onnxruntime intra-op threads per model session (unset: usable CPUs / sessions at once)",
    )
    workers: int = Field(0, ge=0, description="Batch worker processes; 0 means usable CPUs")
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    def effective_concurrency(self) -> int:
        return self.max_concurrency or usable_cpus()

    def effective_workers(self) -> int:
        return self.workers or usable_cpus()

    def intra_op_threads(self, parallel: int) -> int:
        """onnxruntime intra-op threads per model session: CHECKOCR_THREADS when set, else the usable CPUs
        divided among the ``parallel`` sessions that run at once (the service: its inference slots;
        batch: its worker processes; ``checkocr read``: one)."""
        if "threads" in self.model_fields_set:
            return self.threads
        return max(1, usable_cpus() // max(1, parallel))


@lru_cache
def get_settings() -> Settings:
    return Settings()
