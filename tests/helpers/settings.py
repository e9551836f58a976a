"""Test settings, in a module of their own that imports only `siyu.settings`: processes a test
spawns (tests/wecom/processes.py) build settings without importing the whole app."""

from __future__ import annotations

from pathlib import Path

from siyu.settings import Environment, Settings

TEST_SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": Environment.test,
        "secret_key": TEST_SECRET_KEY,
        "database_url": database_url,
        "queue_url": "memory://",
        "run_worker_in_process": False,
        # No urgent-lane threads: most tests' database is one connection used from one thread.
        # Tests of the lane build one that runs inline (tests/acquisition/test_welcome_paths.py).
        "urgent_senders": 0,
        "web_dist_dir": Path("web/dist"),
        "bootstrap_owner_password": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
