"""The attachments contract on its hot path: what a welcome message (due within 20 s of the
add) pays to turn 9 materials into WeCom attachments, against the sandbox in a subprocess.

Creates 2,000 image materials (100 KB each) on SQLite, then measures:
- `ensure_media_ms`: uploading 9 files to the sandbox's media/upload (the work done ahead);
- `attachments_cached_ms`: `wecom_attachments` for 9 random cached materials, in its own write
  transaction as a welcome handler would run it (p50, p95 over 200 samples; target ≤ 50 ms);
- `attachments_fallback_ms`: the same for 9 materials with nothing cached (uploads inline);
- `refresh_seconds`: the refresh job renewing 200 expiring media ids.
Size: SIYU_BENCH_MATERIALS (materials).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from bench._common import emit, free_port, server_process
from siyu.corps.models import Corp
from siyu.db.migrate import upgrade
from siyu.jobs import enqueue
from siyu.kit.clock import FrozenClock, set_clock, utcnow
from siyu.kit.secrets import SecretBox
from siyu.materials.files import sha256_of, storage_key, write_file
from siyu.materials.models import Material, MaterialFile
from siyu.materials.service import materials_service
from siyu.runtime import Runtime, build_runtime
from siyu.settings import Environment, Settings
from siyu.telemetry.logging import configure_logging

MATERIALS = int(os.environ.get("SIYU_BENCH_MATERIALS", "2000"))
SAMPLES = 200
CORP_ID, SECRET = "wwbenchmaterials01", "m" * 43
FILE = b"\x89PNG" + os.urandom(100 * 1024)


def prepare(tmp: Path, base: str) -> tuple[Runtime, uuid.UUID, list[uuid.UUID]]:
    url = f"sqlite:///{tmp / 'materials.db'}"
    upgrade(url)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env=Environment.test,
        secret_key="bench-" + "x" * 40,
        database_url=url,
        queue_url="memory://",
        run_worker_in_process=False,
        materials_dir=tmp / "files",
    )
    runtime = build_runtime(settings, immediate_jobs=True)
    ids = []
    with runtime.db.transaction() as session:
        corp = Corp(
            wecom_corp_id=CORP_ID,
            name="bench",
            api_base_url=base,
            callback_key=uuid.uuid4().hex,
            is_sandbox=True,
            app_secret_ciphertext=SecretBox(settings.secret_key).encrypt(SECRET),
        )
        session.add(corp)
        session.flush()
        for n in range(MATERIALS):
            file = MaterialFile(
                id=uuid.uuid4(),
                corp_id=corp.id,
                media_type="image",
                file_name=f"p{n}.png",
                content_type="image/png",
                size=len(FILE),
                sha256=sha256_of(FILE),
                storage_key="",
            )
            file.storage_key = storage_key(corp.id, file.id)
            write_file(settings.materials_dir, file.storage_key, FILE)
            session.add(file)
            session.flush()  # no ORM relationship orders the two inserts
            material = Material(corp_id=corp.id, kind="image", title=f"海报 {n}", file_id=file.id)
            session.add(material)
            session.flush()
            ids.append(material.id)
        corp_id = corp.id
    return runtime, corp_id, ids


def attach(runtime: Runtime, corp_id: uuid.UUID, ids: list[uuid.UUID]) -> float:
    start = time.perf_counter()
    with runtime.db.transaction() as session:
        corp = session.get(Corp, corp_id)
        assert corp is not None
        materials_service.wecom_attachments(
            session, corp=corp, runtime=runtime, material_ids=ids, purpose="welcome"
        )
    return (time.perf_counter() - start) * 1000


def measure(runtime: Runtime, corp_id: uuid.UUID, ids: list[uuid.UUID]) -> None:
    rng = random.Random(3)
    cached = ids[: MATERIALS // 2]
    start = time.perf_counter()
    with runtime.db.transaction() as session:
        corp = session.get(Corp, corp_id)
        assert corp is not None
        materials_service.ensure_media(session, corp=corp, runtime=runtime, material_ids=cached[:9])
    emit("materials", "ensure_media_ms", (time.perf_counter() - start) * 1000, "ms", files=9)
    for chunk in range(9, len(cached), 50):
        with runtime.db.transaction() as session:
            corp = session.get(Corp, corp_id)
            assert corp is not None
            batch = cached[chunk : chunk + 50]
            materials_service.ensure_media(session, corp=corp, runtime=runtime, material_ids=batch)
    samples = sorted(attach(runtime, corp_id, rng.sample(cached, 9)) for _ in range(SAMPLES))
    emit(
        "materials",
        "attachments_cached_ms",
        statistics.median(samples),
        "ms",
        p95=round(samples[int(0.95 * SAMPLES)], 3),
        samples=SAMPLES,
        attachments=9,
        materials=MATERIALS,
        target=50,
    )
    fresh = ids[MATERIALS // 2 :]
    fallback = sorted(attach(runtime, corp_id, fresh[i * 9 : i * 9 + 9]) for i in range(20))
    emit("materials", "attachments_fallback_ms", statistics.median(fallback), "ms", samples=20)
    clock = FrozenClock(utcnow() + timedelta(days=2, hours=13))
    previous = set_clock(clock)
    try:
        start = time.perf_counter()
        with runtime.db.transaction() as session:
            enqueue(session, "materials.refresh_media", key=f"bench:{uuid.uuid4()}")
        emit("materials", "refresh_seconds", time.perf_counter() - start, "s", renewed=200)
    finally:
        set_clock(previous)


def main() -> None:
    configure_logging(json_logs=True, level="ERROR")  # stdout carries only the results
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "scenario.json"
        world = {"customers": 0, "staff": 1, "groups": 0}
        corp = {"corp_id": CORP_ID, "secret": SECRET}
        scenario.write_text(json.dumps({"seed": 1, "corp": corp, "world": world}))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "siyu.sandbox.cli", "serve", "--port", str(port)]
        with server_process([*command, "--scenario", str(scenario)], url=base):
            runtime, corp_id, ids = prepare(Path(tmp), base)
            try:
                measure(runtime, corp_id, ids)
            finally:
                runtime.close()


if __name__ == "__main__":
    main()
