"""Jobs used by the job-system tests. Loaded through `SIYU_JOB_MODULES` in worker subprocesses.

Their effects go to `probe_effects`, a table the tests create themselves, with no unique key,
so a second application of an effect would show up as a second row.
"""

from __future__ import annotations

import os
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from siyu.jobs import JobContext, job, periodic

PROBE_TABLE_DDL = "CREATE TABLE IF NOT EXISTS probe_effects (label VARCHAR(100), attempt INTEGER)"


def record(ctx: JobContext, label: str) -> None:
    ctx.session.execute(
        text("INSERT INTO probe_effects (label, attempt) VALUES (:label, :attempt)"),
        {"label": label, "attempt": ctx.attempt},
    )


@job("probe.effect")
def probe_effect(ctx: JobContext, label: str) -> None:
    record(ctx, label)


@job("probe.flaky", retry_base_seconds=0.05, retry_cap_seconds=0.2)
def probe_flaky(ctx: JobContext, label: str, fail_times: int) -> None:
    record(ctx, label)  # rolled back with the failure, so only the last attempt's row remains
    if ctx.attempt <= fail_times:
        raise RuntimeError(f"planned failure {ctx.attempt} of {fail_times}")


@job("probe.always_fails", max_attempts=3, retry_base_seconds=0.05, retry_cap_seconds=0.1)
def probe_always_fails(ctx: JobContext, label: str) -> None:
    raise RuntimeError(f"{label} cannot succeed")


@job("probe.hang_first_attempt")
def probe_hang_first_attempt(ctx: JobContext, label: str, marker: str) -> None:
    """Writes its effect, then on the first attempt announces itself and hangs before commit,
    so the test can SIGKILL the worker with the effect written but not committed."""
    record(ctx, label)
    ctx.session.flush()
    if ctx.attempt == 1:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(120)


@periodic("probe.tick", every=timedelta(hours=1))
def probe_tick(ctx: JobContext) -> None:
    record(ctx, "tick")


class Overlap:
    """How many `probe.overlap` runs were in progress at once, at most (in this process)."""

    lock = threading.Lock()
    running = 0
    most = 0


@job("probe.overlap")
def probe_overlap(ctx: JobContext, label: str) -> None:
    with Overlap.lock:
        Overlap.running += 1
        Overlap.most = max(Overlap.most, Overlap.running)
    try:
        time.sleep(0.05)  # long enough for a second thread to start one, were it allowed
        record(ctx, label)
    finally:
        with Overlap.lock:
            Overlap.running -= 1
