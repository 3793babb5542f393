"""``checkocr batch`` behind the typer signature: option checks, exit codes, one-line messages.

Exit codes: 0 when the run completed, even if some files became error lines (they are counted in the
summary and are in the output for the operator); 2 for usage problems found before any work (INPUT
missing, bad option, output exists without --resume/--overwrite, model missing or not matching its
card); 1 when the run could not finish (workers keep dying, disk full, Ray failure); 130 on Ctrl-C
and 143 on SIGTERM (workers are stopped at once; what was written stays, ``--resume`` finishes).
Every failure is one ``checkocr: error: ...`` line on stderr, never a traceback.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from pydantic import ValidationError

from checkocr.batch.output import OutputError
from checkocr.batch.runner import BatchOptions, run_batch
from checkocr.batch.sources import InputError
from checkocr.config import Settings
from checkocr.model_card import ModelError
from checkocr.options import REGIONS, Engine, OutputFormat

ENGINES: tuple[str, ...] = tuple(Engine)
FORMATS: tuple[str, ...] = tuple(OutputFormat)


class Terminated(KeyboardInterrupt):
    """SIGTERM (systemd, Kubernetes, a scheduler) ends the run like Ctrl-C: workers stopped, exit 143."""


def raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def error(message: str, code: int) -> int:
    print(f"checkocr: error: {message}", file=sys.stderr)
    return code


def run_batch_command(
    input_path: Path,
    out: Path,
    region: str,
    workers: int | None,
    engine: str,
    ray_address: str | None,
    resume: bool,
    overwrite: bool,
    output_format: str | None,
    model_path: Path | None,
    chunk_size: int,
    progress: bool | None,
    reader: str | None = None,
) -> int:
    """Runs the command and returns its exit code (the summary goes to stderr, like the bar)."""
    for name, value, allowed in (("--region", region, REGIONS), ("--engine", engine, ENGINES)):
        if value not in allowed:
            return error(f"{name} must be one of {', '.join(allowed)}, not {value!r}", 2)
    if output_format is not None and output_format not in FORMATS:
        return error(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}", 2)
    if resume and overwrite:
        return error("--resume and --overwrite contradict each other; pick one", 2)
    if ray_address and engine != "ray":
        return error("--ray-address only applies with --engine ray", 2)
    try:
        overrides = {"model_path": model_path, "reader": reader, "workers": workers}
        settings = Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        return error(f"bad CHECKOCR_* setting {'.'.join(map(str, first['loc']))}: {first['msg']}", 2)
    if engine == "ray":
        from checkocr.batch.ray_engine import RayUnavailable, import_ray

        try:
            import_ray()
        except RayUnavailable as exc:
            return error(str(exc), 2)
    options = BatchOptions(
        input=input_path,
        out=out,
        settings=settings,
        region=region,  # type: ignore[arg-type]
        workers=workers,
        engine=engine,  # type: ignore[arg-type]
        ray_address=ray_address,
        resume=resume,
        overwrite=overwrite,
        fmt=output_format,  # type: ignore[arg-type]
        chunk_size=chunk_size,
        progress=progress,
    )
    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        result = run_batch(options)
    except (InputError, OutputError) as exc:
        return error(str(exc), 2)
    except ModelError as exc:
        return error(f"model: {exc}", 2)
    except KeyboardInterrupt as exc:
        code = 143 if isinstance(exc, Terminated) else 130
        return error(f"interrupted; lines written so far are in {out}; rerun with --resume to finish", code)
    except OSError as exc:
        return error(f"writing {out} failed: {exc.strerror or exc}; rerun with --resume when fixed", 1)
    except Exception as exc:  # engine failures (workers dying, Ray errors) end the run, not the shell
        return error(f"batch stopped: {type(exc).__name__}: {exc}; rerun with --resume to finish", 1)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if result.repaired_bytes:
        print(f"repaired {out}: removed a torn last line ({result.repaired_bytes} bytes)", file=sys.stderr)
    print(result.tally.render(result.out, engine, result.workers), file=sys.stderr)
    return 0
