"""Read latency of the service under 20 concurrent clients (goal: p95 ≤ 100 ms).

Starts ``critmin serve`` on loopback with a temporary data directory, seeds one completed run,
then 20 threads each make 50 requests to the read endpoints (round robin) with httpx.

Run: ``.venv/bin/python benchmarks/bench_service.py``
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

CLIENTS = 20
REQUESTS = 50
GOAL_P95_MS = 100.0
SCENARIO = """name: bench
horizon: {start: 2025, end: 2030}
bloc: USA
minerals: [gallium, germanium, cobalt]
events: []
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(xs: list[float], q: float) -> float:
    return statistics.quantiles(xs, n=100, method="inclusive")[int(q) - 1] if len(xs) > 1 else xs[0]


def main() -> None:
    """Run the benchmark and print p50/p95 per endpoint and overall."""
    data = Path(tempfile.mkdtemp(prefix="critmin-bench-"))
    port = _port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CRITMIN_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "critmin", "serve", "--port", str(port), "--data-dir", str(data)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        rid = httpx.post(f"{base}/api/runs", json={"scenario_yaml": SCENARIO, "samples": 2000},
                         timeout=60).json()["id"]  # fmt: skip
        while httpx.get(f"{base}/api/runs/{rid}", timeout=10).json()["status"] != "complete":
            time.sleep(0.1)
        paths = ["/api/health", "/api/minerals", f"/api/runs/{rid}/summary",
                 "/api/minerals/gallium/supply?stage=refine"]  # fmt: skip
        for p in paths:  # warm the caches
            httpx.get(base + p, timeout=60).raise_for_status()
        times: dict[str, list[float]] = {p: [] for p in paths}
        lock = threading.Lock()
        errors = [0]

        def client(k: int) -> None:
            with httpx.Client(base_url=base, timeout=30) as c:
                for i in range(REQUESTS):
                    p = paths[(k + i) % len(paths)]
                    t = time.perf_counter()
                    r = c.get(p)
                    dt_ms = (time.perf_counter() - t) * 1000
                    with lock:
                        times[p].append(dt_ms)
                        errors[0] += r.status_code != 200

        t0 = time.perf_counter()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        wall = time.perf_counter() - t0
        everything = [x for xs in times.values() for x in xs]
        print(f"{CLIENTS} clients x {REQUESTS} requests in {wall:.1f} s "
              f"({len(everything) / wall:.0f} req/s), {errors[0]} errors")  # fmt: skip
        for p, xs in times.items():
            print(f"{p:<48} n={len(xs):4d}  p50={_pct(xs, 50):7.1f} ms  p95={_pct(xs, 95):7.1f} ms")
        p95 = _pct(everything, 95)
        verdict = "meets" if p95 <= GOAL_P95_MS else "MISSES"
        print(f"{'overall':<48} n={len(everything):4d}  p50={_pct(everything, 50):7.1f} ms  "
              f"p95={p95:7.1f} ms  ({verdict} the goal p95 <= {GOAL_P95_MS:.0f} ms)")  # fmt: skip
    finally:
        proc.kill()
        proc.wait(30)


if __name__ == "__main__":
    main()
