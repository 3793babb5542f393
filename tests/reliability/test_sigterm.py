"""SIGTERM under load: the requests in flight finish, new connections are refused, exit status 0."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor

from corpus import amount_field, png, upside_down_check
from live import API_KEY, http, wait_for_metric

HEADERS = {"Content-Type": "image/png", "Authorization": f"Bearer {API_KEY}"}


def test_sigterm_drains_in_flight_requests_and_exits_0(start_server) -> None:
    server = start_server(CHECKOCR_MAX_CONCURRENCY="2", CHECKOCR_MAX_QUEUE="8", CHECKOCR_THREADS="1")
    slow = upside_down_check(seed=6)
    url = f"{server.base}/v1/checks/read"
    with ThreadPoolExecutor(max_workers=4) as pool:
        in_flight = [pool.submit(http, url, slow, HEADERS, "POST", 60) for _ in range(4)]
        wait_for_metric(server, "checkocr_http_requests_in_flight", 5)  # 4 reads + the /metrics call
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        refused = False
        try:
            http(url, png(amount_field()), HEADERS, timeout=5)
        except ConnectionRefusedError:
            refused = True
        results = [future.result() for future in in_flight]
    assert refused, "a new connection was accepted after SIGTERM"
    assert [status for status, _, _ in results] == [200] * 4
    assert server.process.wait(timeout=60) == 0
    log = server.log()
    assert "Traceback" not in log and '"stopped"' in log
