"""Uploads leave nothing behind: no new file in the server's TMPDIR, no open temporary file descriptor.

python-multipart/Starlette spool a file part over 1 MiB to a temporary file; the service reads parts
inside ``async with request.form()``, which closes (and so deletes) them on every path, refusals
included. Raw bodies are read in memory and never touch the disk.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from corpus import multipart_body, png
from live import API_KEY, http

BOUNDARY = "upload-boundary-93ab"


def fds_into(pid: int, folder: Path) -> list[str]:
    """Open descriptors of ``pid`` that point into ``folder`` (deleted temp files included)."""
    found = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def test_large_multipart_uploads_leave_tmpdir_empty(start_server) -> None:
    server = start_server(CHECKOCR_MAX_UPLOAD_BYTES=str(8 * 1024 * 1024))
    large = png(np.full((1200, 2400), 255, np.uint8), compress_level=0)  # ~2.9 MB: spooled to disk
    assert len(large) > 2 * 1024 * 1024
    auth = {"Authorization": f"Bearer {API_KEY}"}
    multipart = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **auth}
    cases = [
        (multipart_body([("image", "big.png", "image/png", large)], BOUNDARY), multipart, 200),
        (multipart_body([("image", "big.txt", "text/plain", large)], BOUNDARY), multipart, 415),
        (multipart_body([("picture", "big.png", "image/png", large)], BOUNDARY), multipart, 400),
        (
            multipart_body(
                [("image", "a.png", "image/png", large), ("image", "b.png", "image/png", large)], BOUNDARY
            ),
            multipart,
            400,
        ),
        (multipart_body([("image", "huge.png", "image/png", large * 3)], BOUNDARY), multipart, 413),
        (large, {"Content-Type": "image/png", **auth}, 200),
    ]
    # onnxruntime's bundled telemetry SDK writes TMPDIR/.ses (a launch time and a random id) at import;
    # that file predates every upload and is the only thing allowed there.
    at_start = sorted(path.name for path in server.tmpdir.iterdir())
    assert set(at_start) <= {".ses"}
    for body, headers, status in cases:
        answer_status, answer, _ = http(f"{server.base}/v1/checks/read?region=field", body, headers)
        assert answer_status == status, answer[:300]
        assert sorted(path.name for path in server.tmpdir.iterdir()) == at_start
        assert fds_into(server.pid, server.tmpdir) == []
    assert server.alive()
