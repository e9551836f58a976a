"""The callback gateway versus a no-op route of the same server.

Encrypted, signed `add_external_contact` callbacks (every one a distinct event, so every one is
a durable insert plus a job row, committed before the 200) are driven at
`POST /wecom/callback/{key}`, and the same number of requests at `POST /bench/noop`. The server
runs `siyu serve --no-worker` pinned to one core: what is measured is acknowledgement, which
is what WeCom's 5-second timeout cares about; handling happens later in workers.

The two take turns (`ROUNDS`), and each figure is the median of its turns.

Targets: gateway rate >= 60% of the no-op rate; p99 < 50 ms at an open-loop 1,000 req/s.
SQLite always; PostgreSQL too when SIYU_BENCH_POSTGRES_URL is set (a server URL; the benchmark
creates and drops its own database there).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from statistics import median

from bench._common import (
    ROOT,
    build_request,
    emit,
    free_port,
    run_load,
    scratch_postgres,
    server_process,
)

CONNECTIONS = 32
REQUESTS_PER_CONNECTION = 200
# The gateway and the no-op take turns this many times, and the medians are reported: on a
# shared machine one burst of a few seconds can catch a noisy neighbour, and the share is
# taken between turns that ran back to back. On the 2-core machines here the no-op's own rate
# swung by a third between neighbouring turns, so three turns left the median at the mercy
# of one of them.
ROUNDS = 5
PACED_RATE = 1000  # requests per second, open loop
PACED_CONNECTIONS = 20
PACED_SECONDS = 6
TOKEN = "benchcallbacktoken"
AES_KEY = "YmVuY2hjYWxsYmFja2Flc2tleTAwMDAwMDAwMDAwMDA"
CORP_ID = "wwbenchcallbacks01"

SETUP = f"""
import sys
from siyu.corps.schemas import CorpCreate
from siyu.corps.service import corp_service
from siyu.db.session import Database
from siyu.kit.secrets import SecretBox
from siyu.settings import get_settings
settings = get_settings()
db = Database(settings.database_url)
with db.transaction() as session:
    corp = corp_service.create(session, data=CorpCreate(
        wecom_corp_id={CORP_ID!r}, name="bench", callback_token={TOKEN!r},
        callback_aes_key={AES_KEY!r}), box=SecretBox(settings.secret_key))
    sys.stdout.write(corp.callback_key)
"""


def callbacks(base: str, key: str, count: int, tag: str) -> list[bytes]:
    """`count` distinct signed callbacks, as raw HTTP requests."""
    from siyu.wecom.crypto import WXBizMsgCrypt
    from siyu.wecom.events import AddExternalContact

    crypto = WXBizMsgCrypt(TOKEN, AES_KEY, CORP_ID)
    now = int(time.time())
    requests = []
    for index in range(count):
        xml = AddExternalContact(
            to_user_name=CORP_ID,
            create_time=now,
            user_id="bench",
            external_user_id=f"wm{tag}{index:08d}",
            state="bench",
            welcome_code=uuid.uuid4().hex,
        ).to_xml()
        message = crypto.encrypt_message(xml, timestamp=str(now), nonce=f"{tag}{index}")
        query = "&".join(f"{k}={v}" for k, v in message.query().items())
        body = message.envelope(to_user_name=CORP_ID).encode()
        url = f"{base}/wecom/callback/{key}?{query}"
        requests.append(build_request("POST", url, body, {"Content-Type": "text/xml"}))
    return requests


def split(requests: list[bytes], parts: int) -> list[list[bytes]]:
    return [requests[i::parts] for i in range(parts)]


def closed_loop(base: str, requests: list[bytes]) -> dict[str, float]:
    result = run_load(base, split(requests, CONNECTIONS))
    assert result.errors == 0, f"{result.errors} requests failed"
    return {"rate": result.rate, "p99": result.percentile(0.99) * 1000}


def paced(base: str, requests: list[bytes]) -> dict[str, float]:
    per_connection = PACED_RATE / PACED_CONNECTIONS
    result = run_load(base, split(requests, PACED_CONNECTIONS), rate_per_connection=per_connection)
    assert result.errors == 0, f"{result.errors} requests failed"
    return {
        "rate": result.rate,
        "p99": result.percentile(0.99) * 1000,
        "p50": result.percentile(0.5) * 1000,
    }


def run(database: str, database_url: str, queue_url: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        "SIYU_DATABASE_URL": database_url,
        "SIYU_QUEUE_URL": queue_url,
        "SIYU_LOG_LEVEL": "WARNING",
        "SIYU_BENCH_ROUTES": "true",
    }
    run_env = {**os.environ, **env}
    python = sys.executable
    subprocess.run(
        [python, "-m", "siyu.cli", "db", "upgrade"],
        cwd=ROOT,
        env=run_env,
        check=True,
        capture_output=True,
    )
    key = subprocess.run(
        [python, "-c", SETUP], cwd=ROOT, env=run_env, check=True, capture_output=True, text=True
    ).stdout.strip()
    total = CONNECTIONS * REQUESTS_PER_CONNECTION
    warm = callbacks(base, key, 200, "warm")
    measured = [callbacks(base, key, total, f"load{n}") for n in range(ROUNDS)]
    paced_requests = callbacks(base, key, PACED_RATE * PACED_SECONDS, "paced")
    noop = build_request("POST", base + "/bench/noop", b"<xml/>", {"Content-Type": "text/xml"})
    with server_process(
        [python, "-m", "siyu.cli", "serve", "--no-worker", "--port", str(port)],
        url=base,
        env=env,
        cpu=0,
    ):
        run_load(base, split(warm, 4))
        run_load(base, [[noop] * 50 for _ in range(4)])
        turns = [
            (closed_loop(base, batch), closed_loop(base, [noop] * total)) for batch in measured
        ]
        at_rate = paced(base, paced_requests)
    gateway = {name: median(g[name] for g, _ in turns) for name in ("rate", "p99")}
    baseline = {name: median(b[name] for _, b in turns) for name in ("rate", "p99")}
    share = median(100 * g["rate"] / b["rate"] for g, b in turns)
    context = {
        "database": database,
        "server_cores": 1,
        "connections": CONNECTIONS,
        "rounds": ROUNDS,
    }
    emit("callbacks", "gateway_rate", gateway["rate"], "req/s", requests=total, **context)
    emit("callbacks", "gateway_p99", gateway["p99"], "ms", requests=total, **context)
    emit("callbacks", "noop_rate", baseline["rate"], "req/s", requests=total, **context)
    emit("callbacks", "noop_p99", baseline["p99"], "ms", requests=total, **context)
    emit(
        "callbacks",
        "gateway_share_of_noop",
        share,
        "%",
        target=">= 60",
        **context,
    )
    paced_context = {
        "database": database,
        "server_cores": 1,
        "connections": PACED_CONNECTIONS,
        "offered": PACED_RATE,
    }
    emit("callbacks", "paced_rate", at_rate["rate"], "req/s", **paced_context)
    emit("callbacks", "paced_p50", at_rate["p50"], "ms", **paced_context)
    emit("callbacks", "paced_p99", at_rate["p99"], "ms", target="< 50", **paced_context)


def _postgres(server_url: str) -> None:
    with scratch_postgres(server_url, f"siyu_bench_callbacks_{os.getpid()}") as url:
        run("postgresql", url, url)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run(
            "sqlite",
            f"sqlite:///{Path(tmp) / 'bench.db'}",
            f"sqlite:///{Path(tmp) / 'queue.db'}",
        )
    server = os.environ.get("SIYU_BENCH_POSTGRES_URL")
    if server:
        _postgres(server)


if __name__ == "__main__":
    main()
