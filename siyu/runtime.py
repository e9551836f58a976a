"""The process-wide objects a Siyu process runs with: settings, database, wake queue, worker.

Built once by `build_runtime()` (the app factory, the CLI and tests call it), never at import
time, so tests can build as many isolated runtimes as they like.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from siyu.db.session import Database
from siyu.inbox.lane import UrgentLane
from siyu.jobs.enqueue import bind_queue
from siyu.jobs.queue import WakeQueue, build_huey
from siyu.jobs.registry import load_job_modules
from siyu.jobs.runner import execute_run
from siyu.jobs.worker import Worker
from siyu.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    db: Database
    queue: WakeQueue = field(init=False)
    worker: Worker | None = None
    # The urgent lane, made by the callback gateway when it first needs it.
    urgent: UrgentLane | None = None
    _urgent_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def urgent_lane(self) -> UrgentLane:
        if self.urgent is None:
            with self._urgent_lock:
                if self.urgent is None:
                    self.urgent = UrgentLane(
                        self,
                        senders=self.settings.urgent_senders,
                        calls=self.settings.urgent_calls,
                    )
        return self.urgent

    def start_worker(self, *, threads: int | None = None) -> Worker:
        if self.worker is None:
            self.worker = Worker(self, threads=threads)
            self.worker.start()
        return self.worker

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        if self.urgent is not None:
            self.urgent.close()
            self.urgent = None
        # The WeCom client's per-process transport, if one was made: flush its journal.
        from siyu.wecom.transport import close_wecom_transport

        close_wecom_transport(self)
        self.db.dispose()


def build_runtime(
    settings: Settings, *, db: Database | None = None, immediate_jobs: bool = False
) -> Runtime:
    """`immediate_jobs` runs each job inline right after the enqueuing transaction commits."""
    load_job_modules(settings.job_modules)
    runtime = Runtime(settings=settings, db=db or Database(settings.database_url))
    huey = build_huey(settings.queue_url, immediate=immediate_jobs)
    runtime.queue = WakeQueue(huey, lambda run_id: execute_run(runtime, run_id))
    runtime.db.set_session_default(lambda session: bind_queue(session, runtime.queue))
    return runtime
