"""The WeCom sandbox: world generation time and batch/get_by_user throughput on one core.

1. Generate a 100,000-customer world in-process (target: under 30 s).
2. Serve that world with `python -m siyu.sandbox.cli serve` pinned to one core, replay real
   batch/get_by_user pages (100 customers each, walked cursors) over keep-alive loopback HTTP,
   and compare with a no-op route of the same server (target: at least 2,000 req/s).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench._common import build_request, emit, free_port, run_load, server_process
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world

CUSTOMERS = 100_000
STAFF = 60
SEED = 2026
CORP_ID = "wwsandboxbench0001"
SECRET = "bench-secret-000000000000000000000000000000"
CONNECTIONS = 16
REQUESTS_PER_CONNECTION = 600


def bench_generation() -> float:
    state = SandboxState(seed=SEED)
    corp = state.create_corp(corp_id=CORP_ID)
    started = time.perf_counter()
    generate_world(state, corp, customers=CUSTOMERS, staff=STAFF, groups=500)
    return time.perf_counter() - started


def token_of(base: str) -> str:
    params = {"corpid": CORP_ID, "corpsecret": SECRET}
    token: str = httpx.get(f"{base}/cgi-bin/gettoken", params=params).json()["access_token"]
    return token


def walk_pages(base: str) -> list[bytes]:
    """Every page of every follow user, as (userid, cursor) request bodies."""
    token = token_of(base)
    url = f"{base}/cgi-bin/externalcontact/batch/get_by_user?access_token={token}"
    bodies = []
    with httpx.Client(timeout=30) as client:
        params = {"access_token": token}
        users = client.get(
            f"{base}/cgi-bin/externalcontact/get_follow_user_list", params=params
        ).json()["follow_user"]
        for userid in users:
            cursor = ""
            while True:
                body = json.dumps(
                    {"userid_list": [userid], "cursor": cursor, "limit": 100}
                ).encode()
                bodies.append(body)
                page = client.post(url, content=body).json()
                assert page["errcode"] == 0 and page["external_contact_list"], page
                cursor = page["next_cursor"]
                if not cursor:
                    break
    return bodies


def as_requests(base: str, bodies: list[bytes]) -> list[bytes]:
    url = f"{base}/cgi-bin/externalcontact/batch/get_by_user?access_token={token_of(base)}"
    return [build_request("POST", url, b, {"Content-Type": "application/json"}) for b in bodies]


def spread(requests: list[bytes], per_connection: int) -> list[list[bytes]]:
    return [
        [requests[(c * per_connection + i) % len(requests)] for i in range(per_connection)]
        for c in range(CONNECTIONS)
    ]


def measure(base: str, requests: list[bytes]) -> tuple[float, float, int]:
    run_load(base, [r[:50] for r in spread(requests, 50)[:4]])  # warm up
    result = run_load(base, spread(requests, REQUESTS_PER_CONNECTION))
    return result.rate, result.percentile(0.99) * 1000, result.errors


def main() -> None:
    seconds = bench_generation()
    emit(
        "sandbox",
        "world_generate_seconds",
        seconds,
        "s",
        customers=CUSTOMERS,
        staff=STAFF,
        target_seconds=30,
    )
    emit("sandbox", "world_generate_rate", CUSTOMERS / seconds, "customers/s", customers=CUSTOMERS)
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "bench.json"
        scenario.write_text(
            json.dumps(
                {
                    "seed": SEED,
                    "corp": {"corp_id": CORP_ID, "secret": SECRET},
                    "world": {"customers": CUSTOMERS, "staff": STAFF, "groups": 500},
                }
            )
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "siyu.sandbox.cli",
            "serve",
            "--port",
            str(port),
            "--seed",
            str(SEED),
            "--scenario",
            str(scenario),
        ]
        with server_process(command, url=base, cpu=0):
            bodies = walk_pages(base)
        # A fresh server (same seed, same world): each page served once, as a sync walks them.
        with server_process(command, url=base, cpu=0):
            pages = as_requests(base, bodies)
            cold = run_load(base, [pages[c::CONNECTIONS] for c in range(CONNECTIONS)])
            rate, p99, errors = measure(base, pages)
            noop_rate, noop_p99, noop_errors = measure(
                base, [build_request("GET", f"{base}/sandbox/ping")]
            )
    context = {
        "customers": CUSTOMERS,
        "connections": CONNECTIONS,
        "requests": CONNECTIONS * REQUESTS_PER_CONNECTION,
        "server_cores": 1,
        "page_size": 100,
        "distinct_pages": len(pages),
    }
    emit(
        "sandbox",
        "batch_get_by_user_first_pass_rate",
        cold.rate,
        "req/s",
        target=2000,
        errors=cold.errors,
        **context | {"requests": cold.requests},
    )
    emit("sandbox", "batch_get_by_user_rate", rate, "req/s", target=2000, errors=errors, **context)
    emit("sandbox", "batch_get_by_user_p99", p99, "ms", **context)
    emit("sandbox", "noop_rate", noop_rate, "req/s", errors=noop_errors, **context)
    emit("sandbox", "noop_p99", noop_p99, "ms", **context)
    emit("sandbox", "batch_get_by_user_share_of_noop", 100 * rate / noop_rate, "%", **context)


if __name__ == "__main__":
    main()
