"""`/healthz` versus a no-op route of the same server: what health checking costs per request.

The server runs as `siyu serve --no-worker` pinned to one core; the load generator runs on the
other. /healthz does a database round trip and a queue ping; the no-op route does nothing, so
the difference is the price of those checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench._common import ROOT, build_request, emit, free_port, run_load, server_process

CONNECTIONS = 32
REQUESTS_PER_CONNECTION = 300


def measure(base: str, path: str) -> dict[str, float]:
    raw = build_request("GET", base + path)
    warm = run_load(base, [[raw] * 50 for _ in range(4)])
    assert warm.errors == 0, f"{path} answered with errors while warming up"
    result = run_load(base, [[raw] * REQUESTS_PER_CONNECTION for _ in range(CONNECTIONS)])
    return {
        "rate": result.rate,
        "p99": result.percentile(0.99) * 1000,
        "p50": result.percentile(0.5) * 1000,
        "errors": result.errors,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            "SIYU_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}",
            "SIYU_QUEUE_URL": f"sqlite:///{Path(tmp) / 'queue.db'}",
            "SIYU_LOG_LEVEL": "WARNING",
            "SIYU_BENCH_ROUTES": "true",
        }
        python = sys.executable
        subprocess.run(
            [python, "-m", "siyu.cli", "db", "upgrade"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        with server_process(
            [python, "-m", "siyu.cli", "serve", "--no-worker", "--port", str(port)],
            url=base,
            env=env,
            cpu=0,
        ):
            health = measure(base, "/healthz")
            noop = measure(base, "/bench/noop")
    context = {
        "connections": CONNECTIONS,
        "requests": CONNECTIONS * REQUESTS_PER_CONNECTION,
        "database": "sqlite",
        "server_cores": 1,
    }
    emit("http", "healthz_rate", health["rate"], "req/s", **context)
    emit("http", "healthz_p99", health["p99"], "ms", **context)
    emit("http", "noop_rate", noop["rate"], "req/s", **context)
    emit("http", "noop_p99", noop["p99"], "ms", **context)
    emit("http", "healthz_share_of_noop", 100 * health["rate"] / noop["rate"], "%", **context)


if __name__ == "__main__":
    main()
