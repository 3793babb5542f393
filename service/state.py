"""What the running service holds: settings, metrics, the worker pool and the (verified) model.

Loading can fail (missing file, truncated file, sha256 mismatch). The process then stays up with
``problem`` set, so ``/readyz`` can tell operators exactly what is wrong instead of the container
crash-looping with the reason scrolled away.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from checkocr import __version__
from checkocr.config import Settings
from service.limits import InferencePool
from service.metrics import ServiceMetrics

if TYPE_CHECKING:
    from checkocr.classifier import DigitClassifier
    from checkocr.reader import Reader

logger = logging.getLogger("checkocr.service")
# checkocr/__init__.py is the one source of the version (pyproject.toml reads it from there).
SERVICE_VERSION = __version__


def intra_op_threads(settings: Settings) -> int:
    """onnxruntime threads per session: CHECKOCR_THREADS when set, else the CPUs this process may use
    (affinity/cgroup, not the host's core count) divided among the concurrent inference slots."""
    return settings.intra_op_threads(settings.effective_concurrency())


@dataclass
class ServiceState:
    settings: Settings
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    classifier: DigitClassifier | None = None
    reader: Reader | None = None
    pool: InferencePool | None = None
    problem: str | None = "the model has not been loaded yet"
    load_seconds: float | None = None

    @property
    def ready(self) -> bool:
        return self.problem is None and self.classifier is not None and self.reader is not None

    def load(self) -> None:
        """Loads the model, verifies its card's sha256, runs one warm-up inference; records any failure."""
        from checkocr.classifier import DigitClassifier
        from checkocr.field_model import FieldModel
        from checkocr.model_card import ModelError

        start = time.perf_counter()
        path = self.settings.model_path
        try:
            threads = intra_op_threads(self.settings)
            classifier = DigitClassifier(path, threads=threads)
            classifier.warm_up()
            field_model = FieldModel(self.settings.field_model_path, threads=threads)
            field_model.warm_up()
            from checkocr.calibration import usable_calibrator
            from checkocr.reader import Reader

            reader = Reader(
                classifier,
                accept_threshold=self.settings.accept_threshold,
                field_model=field_model,
                default_reader=self.settings.reader,
                calibrator=usable_calibrator(self.settings, classifier, field_model),
            )
        except ModelError as exc:
            self.fail(str(exc))
            return
        except Exception as exc:  # a broken graph or reader must not kill the process; /readyz explains
            self.fail(f"cannot load the model from {path}: {type(exc).__name__}: {exc}")
            return
        self.classifier, self.reader, self.problem = classifier, reader, None
        self.load_seconds = time.perf_counter() - start
        self.metrics.model_ready.set(1)
        logger.info(
            "models %s %s and %s %s loaded from %s and %s (sha256 verified, warmed up) in %.2f s",
            classifier.card.name,
            classifier.card.version,
            field_model.card.name,
            field_model.card.version,
            path,
            self.settings.field_model_path,
            self.load_seconds,
        )

    def fail(self, problem: str) -> None:
        self.problem = problem
        self.metrics.model_ready.set(0)
        logger.error("model not ready, the service will answer 503 until it is fixed: %s", problem)

    def start_pool(self) -> InferencePool:
        self.pool = InferencePool(
            slots=self.settings.effective_concurrency(),
            max_queue=self.settings.max_queue,
            timeout_s=self.settings.request_timeout_s,
            metrics=self.metrics,
        )
        return self.pool
