"""Shared benchmark plumbing: JSON output, a server subprocess, and a fast HTTP load generator.

Every benchmark prints one JSON object per line:
`{"bench": name, "metric": what, "value": number, "unit": unit, ...context}`.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def emit(bench: str, metric: str, value: float, unit: str, **context: Any) -> None:
    record = {"bench": bench, "metric": metric, "value": round(value, 3), "unit": unit, **context}
    print(json.dumps(record, ensure_ascii=False), flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_serving(url: str, timeout: float = 60.0) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), 1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not start within {timeout} s")


@contextmanager
def scratch_postgres(server_url: str, name: str) -> Iterator[str]:
    """A database of its own on a PostgreSQL server, dropped afterwards; yields its URL."""
    import psycopg

    admin = server_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield f"{server_url.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@contextmanager
def server_process(
    args: Sequence[str],
    *,
    url: str,
    env: dict[str, str] | None = None,
    cpu: int | None = None,
    start_timeout: float = 60.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server in a subprocess (optionally pinned to one CPU) until the block ends."""
    command = list(args)
    if cpu is not None and sys.platform.startswith("linux"):
        command = ["taskset", "-c", str(cpu), *command]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_serving(url, start_timeout)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _connection_loop(
    host: str,
    port: int,
    requests: list[bytes],
    latencies: list[float],
    errors: list[int],
    interval: float | None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    started = time.perf_counter()
    try:
        for index, raw in enumerate(requests):
            if interval is not None:  # open-loop pacing: fixed send schedule per connection
                delay = started + index * interval - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent = time.perf_counter()
            writer.write(raw)
            status_line = await reader.readline()
            length = 0
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - sent)
            if not status_line.startswith(b"HTTP/1.1 2"):
                errors.append(1)
    finally:
        writer.close()


def build_request(
    method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc}", "Connection: keep-alive"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def run_load(
    url: str,
    requests_per_connection: Sequence[Sequence[bytes]],
    *,
    rate_per_connection: float | None = None,
) -> LoadResult:
    """Send pre-built requests over keep-alive connections, one list per connection.

    Closed loop (as fast as the server answers) by default; with `rate_per_connection`, each
    connection sends on a fixed schedule so latency is measured at a known offered load.
    """
    parts = urlsplit(url)
    latencies: list[float] = []
    errors: list[int] = []
    interval = 1.0 / rate_per_connection if rate_per_connection else None

    async def main() -> float:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _connection_loop(
                    parts.hostname or "127.0.0.1",
                    parts.port or 80,
                    list(batch),
                    latencies,
                    errors,
                    interval,
                )
                for batch in requests_per_connection
            )
        )
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    return LoadResult(len(latencies), len(errors), seconds, latencies)
