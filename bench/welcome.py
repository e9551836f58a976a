"""Welcome latency: sandbox scans → encrypted add callbacks → Siyu → send_welcome_msg.

The sandbox (its own process) receives scans of one live code at `RATE` per second for
`SECONDS` seconds through its control API; for each it creates a WelcomeCode and posts the
encrypted add_external_contact callback to Siyu's gateway, as WeCom does. Siyu (`siyu serve`
with its in-process worker, SQLite) stores the callback, and its add handler's prefetch sends
the code's welcome. Latency is Siyu's own record per welcome: from the gateway's receipt
(`received_at`) to the moment the sandbox accepted send_welcome_msg.

Targets: p50 ≤ 100 ms, p99 ≤ 500 ms, zero expired welcome codes, at 200 adds/s for 60 s.

200 adds/s for 60 s is 12,000 send_welcome_msg calls, and WeCom allows one corp 10,000 calls of
one API per clock minute (API-FACTS §1.3; the sandbox counts the same way), of which Siyu takes
80 % by default (`SIYU_WECOM_RATE_PER_MINUTE`). Started at the top of a minute, the run would
put 12,000 calls in one window: past the 8,000th, WeCom's rule, not Siyu, makes every welcome
wait for the next minute, and they expire. So a load with more calls than one window takes is
centred on a minute boundary (60 s: from hh:mm:30 to hh:mm+1:30, 6,000 calls in each window),
and the calls counted in each window are reported (`calls_per_minute_window`).
`SIYU_BENCH_WELCOME_SECONDS` shortens the run (e.g. 10 while developing). SQLite always;
PostgreSQL too (database and queue) when `SIYU_BENCH_POSTGRES_URL` names a server (a scratch
database is created on it and dropped afterwards); `SIYU_BENCH_WELCOME_SQLITE=0` skips SQLite.
`SIYU_BENCH_WELCOME_SEPARATE_WORKER=1` runs the worker as a process of its own.
Each record carries the Siyu server's CPU seconds over the run and the load average, since
this machine is shared and wall-clock numbers alone say little. `SIYU_BENCH_PROFILE=<file>`
(and `SIYU_BENCH_PROFILE_SANDBOX=<file>`) record Siyu's server (the sandbox) with py-spy during
the load (collapsed stacks, every thread).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench._common import (
    ROOT,
    build_request,
    emit,
    free_port,
    run_load,
    scratch_postgres,
    server_process,
)

RATE = 200
SECONDS = int(os.environ.get("SIYU_BENCH_WELCOME_SECONDS", "60"))
CONNECTIONS = 8
DRAIN = float(os.environ.get("SIYU_BENCH_WELCOME_DRAIN", "90"))
SEPARATE_WORKER = os.environ.get("SIYU_BENCH_WELCOME_SEPARATE_WORKER") == "1"
STAFF = 60
CORP_ID = "wwwelcomebench001"
SECRET = "w" * 43
TOKEN = "welcomebenchtoken"
AES_KEY = "d2VsY29tZWJlbmNoYWVza2V5MDAwMDAwMDAwMDAwMDA"
SECRET_KEY = "bench-welcome-" + "k" * 40

SETUP = """
import json, sys
from siyu.acquisition.schemas import ChannelCreate, LiveCodeCreate
from siyu.acquisition.service import acquisition_service
from siyu.corps.schemas import CorpCreate
from siyu.corps.service import corp_service
from siyu.db.session import Database
from siyu.kit.secrets import SecretBox
from siyu.settings import get_settings
from siyu.jobs.registry import load_job_modules
from siyu.staff.models import StaffMember
load_job_modules()
args = json.loads(sys.argv[1])
settings = get_settings()
db = Database(settings.database_url)
with db.transaction() as session:
    corp = corp_service.create(session, data=CorpCreate(
        wecom_corp_id=args["corp_id"], name="bench", app_secret=args["secret"],
        callback_token=args["token"], callback_aes_key=args["aes_key"],
        api_base_url=args["sandbox"], is_sandbox=True), box=SecretBox(settings.secret_key))
    for userid in args["staff"]:
        session.add(StaffMember(corp_id=corp.id, userid=userid, name=userid, daily_add_cap=2000))
    session.flush()
    channel = acquisition_service.create_channel(
        session, corp_id=corp.id, data=ChannelCreate(name="门店开业"))
    code = acquisition_service.create_code(session, corp_id=corp.id, data=LiveCodeCreate(
        channel_id=channel.id, name="收银台", state="bench_welcome", staff_userids=args["staff"],
        welcome_text="你好，我是{staff_name}，欢迎光临！回复 1 领取新人券。"))
    sys.stdout.write(json.dumps({"callback_key": corp.callback_key, "code_id": str(code.id)}))
"""

RESULTS = """
import json, sys
from sqlalchemy import text
from siyu.db.session import Database
from siyu.settings import get_settings
db = Database(get_settings().database_url)
with db.transaction(write=False) as session:
    rows = session.execute(text(
        "SELECT status, errcode, latency_ms FROM acquisition_welcomes"
    )).all()
    way = session.execute(text("SELECT config_id FROM acquisition_codes")).scalar()
    inbox = session.execute(text(
        "SELECT status, count(*) FROM inbox_events GROUP BY status"
    )).all()
    jobs = session.execute(text(
        "SELECT name, status, count(*) FROM job_runs GROUP BY name, status"
    )).all()
    errors = session.execute(text(
        "SELECT last_error FROM inbox_events WHERE last_error IS NOT NULL LIMIT 3"
    )).all()
    calls = [[str(moment)] for moment, in session.execute(text(
        "SELECT started_at FROM wecom_calls WHERE api = 'externalcontact/send_welcome_msg'"
    ))]
listed = {"rows": rows, "inbox": inbox, "jobs": jobs, "errors": errors, "calls": calls}
out = {name: [list(r) for r in value] for name, value in listed.items()}
sys.stdout.write(json.dumps({**out, "config_id": way}))
"""


def python(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "Error" in line]
        raise RuntimeError(errors[-1] if errors else done.stderr[-300:])
    return done.stdout


def results(env: dict[str, str]) -> dict[str, object]:
    return dict(json.loads(python(RESULTS, env)))


def wait_for(what: str, check: object, timeout: float, detail: object = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.5)
    raise RuntimeError(f"timed out waiting for {what}: {detail() if detail else ''}")  # type: ignore[operator]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def profile_process(pid: int, seconds: int, variable: str) -> subprocess.Popen[bytes] | None:
    """With `<variable>=<file>`, py-spy samples the process (every thread) during the load and
    writes collapsed stacks there; py-spy must be installed (it is not a dependency).
    `SIYU_BENCH_PROFILE_GIL=1` samples only the thread holding the GIL (where the CPU goes)."""
    target = os.environ.get(variable)
    if not target:
        return None
    command = ["py-spy", "record", "-p", str(pid), "-d", str(seconds), "-r", "100"]
    if os.environ.get("SIYU_BENCH_PROFILE_GIL") == "1":
        command.append("--gil")
    return subprocess.Popen(
        [*command, "-f", "raw", "-o", target, "--threads", "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@contextlib.contextmanager
def separate_worker(env: dict[str, str], log_file: str) -> Iterator[None]:
    """With `SIYU_BENCH_WELCOME_SEPARATE_WORKER=1`, `siyu serve --no-worker` plus a `siyu worker`
    process (the scaled-out deployment) instead of the default in-process worker."""
    if not SEPARATE_WORKER:
        yield
        return
    command = [sys.executable, "-m", "siyu.cli", "worker"]
    process = subprocess.Popen(
        ["bash", "-c", f'exec "$@" 2>>{log_file}', "_", *command],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(30)


# Siyu's default share of WeCom's per-API minute (see the module docstring).
CALLS_PER_WINDOW = 8_000


def centre_on_a_minute_boundary(seconds: float) -> float:
    """Sleep until a load of `seconds` would be centred on a clock minute's start, when more
    calls than one window takes would otherwise risk landing in one. Returns the second of
    the minute the load starts at."""
    if RATE * seconds <= CALLS_PER_WINDOW:
        return time.time() % 60
    start = (60 - seconds / 2) % 60
    time.sleep((start - time.time() % 60) % 60)
    return time.time() % 60


def calls_per_window(started_at: list[str]) -> list[int]:
    """How many calls started in each clock minute, in order (the journal's `started_at`)."""
    per_minute: dict[str, int] = {}
    for moment in sorted(started_at):
        per_minute[moment[:16]] = per_minute.get(moment[:16], 0) + 1
    return list(per_minute.values())


def run(tmp: Path, database: str, database_url: str, queue_url: str) -> None:
    sandbox_port, siyu_port = free_port(), free_port()
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    siyu = f"http://127.0.0.1:{siyu_port}"
    env = {
        "SIYU_DATABASE_URL": database_url,
        "SIYU_QUEUE_URL": queue_url,
        "SIYU_SECRET_KEY": SECRET_KEY,
        "SIYU_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "siyu.cli", "db", "upgrade"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
        capture_output=True,
    )
    sandbox_log = tmp / "sandbox.log"
    sandbox_cmd = [
        "bash",
        "-c",
        f'exec "$@" >/dev/null 2>>{sandbox_log}',
        "_",
        *[sys.executable, "-m", "siyu.sandbox.cli", "serve", "--port", str(sandbox_port)],
        *["--callback-senders", "16"],
    ]
    with server_process(sandbox_cmd, url=sandbox, start_timeout=300) as sandbox_server:
        control = httpx.Client(base_url=sandbox, timeout=30)
        corp = {"corp_id": CORP_ID, "secret": SECRET, "callback_token": TOKEN}
        control.post(
            "/sandbox/corps", json={**corp, "encoding_aes_key": AES_KEY}
        ).raise_for_status()
        control.post(
            f"/sandbox/corps/{CORP_ID}/world", json={"staff": STAFF, "customers": 0}
        ).raise_for_status()
        control.put("/sandbox/rules", json={"daily_passive_add_cap": 100_000}).raise_for_status()
        control.put(
            "/sandbox/behaviour", json={"reply_probability": 0.0, "welcome_code_probability": 1.0}
        ).raise_for_status()
        token = control.get(
            "/cgi-bin/gettoken", params={"corpid": CORP_ID, "corpsecret": SECRET}
        ).json()["access_token"]
        staff = control.get(
            "/cgi-bin/externalcontact/get_follow_user_list", params={"access_token": token}
        ).json()["follow_user"][:STAFF]
        args = {
            "corp_id": CORP_ID,
            "secret": SECRET,
            "token": TOKEN,
            "aes_key": AES_KEY,
            "sandbox": sandbox,
            "staff": staff,
        }
        setup = json.loads(python(SETUP, env, json.dumps(args)))
        # The server's log goes to a file: an undrained stderr pipe would fill and block it.
        log_file = os.environ.get("SIYU_BENCH_WELCOME_LOG", str(tmp / "siyu.log"))
        siyu_cmd = [
            "bash",
            "-c",
            f'exec "$@" 2>>{log_file}',
            "_",
            *[sys.executable, "-m", "siyu.cli", "serve", "--port", str(siyu_port)],
            *(["--no-worker"] if SEPARATE_WORKER else []),
        ]
        with (
            server_process(siyu_cmd, url=siyu, env=env, start_timeout=300) as server,
            separate_worker(env, log_file),
        ):
            wait_for("the contact way", lambda: results(env)["config_id"], 60)
            config_id = str(results(env)["config_id"])
            callback = f"{siyu}/wecom/callback/{setup['callback_key']}"
            control.post(
                f"/sandbox/corps/{CORP_ID}/callback", json={"url": callback}
            ).raise_for_status()
            scan_url = f"{sandbox}/sandbox/corps/{CORP_ID}/actions/scan_contact_way"
            body = json.dumps({"config_id": config_id}).encode()
            scan = build_request("POST", scan_url, body, {"Content-Type": "application/json"})
            run_load(sandbox, [[scan] * 20 for _ in range(2)])  # warm-up, not measured
            start_second = centre_on_a_minute_boundary(SECONDS)
            load_before, cpu_before = loadavg(), cpu_seconds(server.pid)
            sandbox_before = cpu_seconds(sandbox_server.pid)
            profilers = [
                profile_process(server.pid, SECONDS, "SIYU_BENCH_PROFILE"),
                profile_process(sandbox_server.pid, SECONDS, "SIYU_BENCH_PROFILE_SANDBOX"),
            ]
            per_connection = RATE * SECONDS // CONNECTIONS
            started = time.perf_counter()
            load = run_load(
                sandbox,
                [[scan] * per_connection for _ in range(CONNECTIONS)],
                rate_per_connection=RATE / CONNECTIONS,
            )
            offered = time.perf_counter() - started
            cpu_load = cpu_seconds(server.pid) - cpu_before
            sandbox_load = cpu_seconds(sandbox_server.pid) - sandbox_before
            for profiler in profilers:
                if profiler is not None:
                    profiler.wait()
            total = load.requests + 40
            # Every welcome done, or give up after DRAIN seconds and report what happened: the
            # adds still unhandled then are counted, not hidden.
            deadline = time.monotonic() + DRAIN
            while time.monotonic() < deadline:
                done = results(env)
                if sum(1 for s, _, _ in done["rows"] if s != "sending") >= total:  # type: ignore[attr-defined]
                    break
                time.sleep(2)
            drained = time.perf_counter() - started
            cpu_total = cpu_seconds(server.pid) - cpu_before
            load_after = loadavg()
            done = results(env)
            rows = done["rows"]
            welcomes = control.get(f"/sandbox/corps/{CORP_ID}/welcomes").json()
    sent = [lat for status, _, lat in rows if status == "sent" and lat is not None]  # type: ignore[attr-defined]
    # Refused by WeCom as expired (41050), or claimed too late to try (status `expired`).
    expired = sum(1 for s, e, _ in rows if e == 41050 or s == "expired")  # type: ignore[attr-defined]
    unused = sum(1 for c in welcomes["codes"] if not c.get("used_at"))
    context = {
        "database": database,
        "offered_rate": RATE,
        "seconds": SECONDS,
        "adds": load.requests,
        "worker": "separate process" if SEPARATE_WORKER else "in-process",
        "load_started_at_second": round(start_second, 1),
        "calls_per_minute_window": calls_per_window([str(c) for (c,) in done["calls"]]),  # type: ignore[attr-defined]
    }
    still_sending = sum(1 for status, _, _ in rows if status == "sending")  # type: ignore[attr-defined]
    pending = [count for status, count in done["inbox"] if status != "handled"]  # type: ignore[attr-defined]
    emit(
        "welcome",
        "server_cpu",
        cpu_total,
        "s",
        cpu_during_load=round(cpu_load, 2),
        sandbox_cpu_during_load=round(sandbox_load, 2),
        wall_during_load=round(offered, 2),
        wall_until_drained=round(drained, 2),
        loadavg_before=load_before,
        loadavg_after=load_after,
        **context,
    )
    emit("welcome", "scan_rate", load.requests / offered, "adds/s", errors=load.errors, **context)
    emit(
        "welcome",
        "welcomes_sent",
        len(sent),
        "welcomes",
        welcome_rows=len(rows),  # type: ignore[arg-type]
        still_sending=still_sending,
        inbox_unhandled=sum(pending),
        **context,
    )
    emit("welcome", "welcome_p50", percentile(sent, 0.5), "ms", target="<= 100", **context)
    emit("welcome", "welcome_p99", percentile(sent, 0.99), "ms", target="<= 500", **context)
    emit(
        "welcome",
        "expired_welcome_codes",
        expired,
        "codes",
        target="0",
        unused_codes=unused,
        **context,
    )
    rate = load.requests / offered
    p50, p99 = percentile(sent, 0.5), percentile(sent, 0.99)
    # Met only if every add got its welcome in time at the offered rate: unsent welcomes are
    # not latencies, so a run that sent few cannot pass on the percentiles of those few.
    met = rate >= 0.95 * RATE and len(sent) >= total and p50 <= 100 and p99 <= 500 and expired == 0
    emit("welcome", "target_met", float(met), "bool", **context)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if os.environ.get("SIYU_BENCH_WELCOME_SQLITE", "1") != "0":
            base = Path(tmp) / "sqlite"
            base.mkdir()
            run(base, "sqlite", f"sqlite:///{base / 'siyu.db'}", f"sqlite:///{base / 'queue.db'}")
        server = os.environ.get("SIYU_BENCH_POSTGRES_URL")
        if server:
            base = Path(tmp) / "postgresql"
            base.mkdir()
            with scratch_postgres(server, f"siyu_bench_welcome_{os.getpid()}") as url:
                run(base, "postgresql", url, url)


if __name__ == "__main__":
    main()
