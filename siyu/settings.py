"""One settings class for the whole service, read from `SIYU_*` variables and `.env`.

Settings are built once per process by `get_settings()` and injected as a dependency, so tests
override them instead of patching globals. Every field is documented in `.env.example`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values that ship in `.env.example` and in development. Production refuses to boot with them.
PLACEHOLDER_SECRET_KEY = "dev-only-change-me-0000000000000000000000000000"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SIYU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Environment.development
    # Used to derive the key that encrypts corp secrets at rest and to sign nothing else.
    secret_key: str = PLACEHOLDER_SECRET_KEY

    database_url: str = "sqlite:///var/siyu.db"
    # sqlite:///path → huey's SQLite storage; redis://… → Redis; memory:// → in-process only.
    queue_url: str = "sqlite:///var/queue.db"
    run_worker_in_process: bool = True
    worker_threads: int = Field(default=4, ge=1, le=64)
    # Threads of the gateway process's urgent lane (siyu/inbox/lane.py: the welcome within
    # 20 s of an add); 0 leaves it all to the worker.
    # One by default: the lane shares the gateway's GIL, and with four the gateway acked only
    # 650 of 1,000 callbacks/s (docs/inbox.md); raise it where welcomes matter more than bursts.
    urgent_senders: int = Field(default=1, ge=0, le=64)
    # WeCom calls the urgent lane has in flight at once: a sender takes every add that queued
    # up since its last turn, claims them and hands their welcomes to these calls without
    # waiting; it takes the next batch only while fewer than this many are out.
    # As many as WeCom lets one corp have in flight for the welcome (`wecom_api_concurrency`).
    urgent_calls: int = Field(default=16, ge=1, le=64)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    # Largest request body the API accepts; larger bodies get 413 before they are read.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    log_json: bool | None = None  # None: JSON in production, console lines elsewhere
    log_level: str = "INFO"

    session_ttl_hours: int = Field(default=12, ge=1)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_ip_attempts_per_window: int = Field(default=30, ge=1)
    login_ip_window_seconds: int = Field(default=300, ge=10)

    # First owner, created by `make run` / `siyu bootstrap` when no user exists yet.
    bootstrap_owner_email: str = "owner@siyu.local"
    bootstrap_owner_password: str | None = None

    # Job retry policy for durable work rows.
    job_max_attempts: int = Field(default=8, ge=1)
    job_lease_seconds: int = Field(default=300, ge=1)
    sweeper_interval_seconds: int = Field(default=30, ge=1)
    # Extra modules to import for job handlers (plugins; tests use it for probe jobs).
    job_modules: list[str] = Field(default_factory=list)

    web_dist_dir: Path = Path("web/dist")
    # Where export files are written (one folder per corp); shared by API and workers.
    export_dir: Path = Path("var/exports")
    # Uploaded customer import files and their error reports (shared by API and workers).
    import_dir: Path = Path("var/imports")
    # Largest import upload; 100,000 customers fit in about 5 MB of xlsx.
    import_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    # Files of the materials library (素材库), one folder per corp; shared by API and workers.
    materials_dir: Path = Path("var/materials")
    # Largest material upload; WeCom's own cap is 20 MB (files), images and videos 10 MB.
    materials_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Handled callback-inbox rows are deleted after this many days (failed and dead rows stay).
    inbox_retention_days: int = Field(default=30, ge=1)
    # Largest WeCom callback body the gateway reads; WeCom's are a few KB, so 64 KB is generous.
    callback_max_body_bytes: int = Field(default=65_536, ge=1024)
    # Adds no-op routes under /bench/ that benchmarks compare real endpoints against.
    bench_routes: bool = False

    # WeCom client: shared limits and token cache live in Redis when set, else in the database.
    redis_url: str | None = None
    # Per corp, per API calls a minute (WeCom allows 10,000; 80% leaves room for other tools).
    wecom_rate_per_minute: int = Field(default=8000, ge=1)
    # Per corp, per API calls in flight across every process (WeCom answers 45033 above its cap).
    wecom_max_concurrency: int = Field(default=8, ge=1, le=300)
    # Per-API exceptions to it (JSON: {"api path": calls}). A welcome is one short call that
    # must land within 20 s of the add: at 200 adds/s and ~20 ms a call, 8 in flight left the
    # welcome lane ~10 % above the arrival rate, and any hiccup became seconds of backlog.
    wecom_api_concurrency: dict[str, Annotated[int, Field(ge=1, le=300)]] = Field(
        default_factory=lambda: {"externalcontact/send_welcome_msg": 16}
    )
    wecom_timeout_seconds: float = Field(default=10.0, gt=0)
    # Attempts per call for retryable failures (-1, 45009, 45033, network, 5xx).
    wecom_max_attempts: int = Field(default=4, ge=1, le=20)

    # Sends group-code verification SMS: "log" (writes the code to the log; the default) or
    # "module:attribute" naming a `siyu.groupcodes.sms.SmsSender` factory.
    sms_sender: str = "log"

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env is Environment.production:
            if self.secret_key == PLACEHOLDER_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError(
                    "SIYU_SECRET_KEY must be set to a random value of at least 32 characters "
                    "in production (for example: python -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')"
                )
            if self.bootstrap_owner_password and len(self.bootstrap_owner_password) < 12:
                raise ValueError("SIYU_BOOTSTRAP_OWNER_PASSWORD must be at least 12 characters")
        return self

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    @property
    def json_logs(self) -> bool:
        return self.is_production if self.log_json is None else self.log_json


@lru_cache
def get_settings() -> Settings:
    return Settings()
