"""Scenario files (TOML or JSON): a corp, a generated world, settings and a list of steps.

A scenario is played through the control API, so the same file drives an in-process sandbox
(a Starlette TestClient) or a running one (`siyu sandbox scenario run FILE --base-url URL`).
See docs/sandbox.md for the format.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Protocol


class ScenarioError(ValueError):
    pass


class _Response(Protocol):
    status_code: int

    def json(self) -> Any: ...


class ControlClient(Protocol):
    def get(self, url: str) -> _Response: ...

    def post(self, url: str, *, json: Any = None) -> _Response: ...

    def put(self, url: str, *, json: Any = None) -> _Response: ...


def load_scenario(path: str | Path) -> dict[str, Any]:
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if str(path).endswith(".json") else tomllib.loads(text)
    if not isinstance(data, dict) or "corp" not in data:
        raise ScenarioError("a scenario needs a [corp] table")
    return data


def _check(response: _Response, what: str) -> Any:
    if response.status_code >= 400:
        raise ScenarioError(f"{what} failed: HTTP {response.status_code} {response.json()}")
    return response.json()


def run_scenario(client: ControlClient, scenario: dict[str, Any]) -> dict[str, Any]:
    """Create the corp (or reuse it), build the world, apply settings, play the steps."""
    corp_spec = dict(scenario["corp"])
    corp_id = corp_spec.get("corp_id")
    existing = {
        c["corp_id"]: c for c in _check(client.get("/sandbox/corps"), "list corps")["corps"]
    }
    if corp_id and corp_id in existing:
        corp = existing[corp_id]
    else:
        corp = _check(client.post("/sandbox/corps", json=corp_spec), "create corp")
        corp_id = corp["corp_id"]
        if "world" in scenario:
            world = dict(scenario["world"])
            world.setdefault("seed", scenario.get("seed", 0))
            _check(client.post(f"/sandbox/corps/{corp_id}/world", json=world), "generate world")
    for section in ("rules", "behaviour", "faults"):
        if section in scenario:
            _check(client.put(f"/sandbox/{section}", json=scenario[section]), f"set {section}")
    results: list[Any] = []
    for index, step in enumerate(scenario.get("steps", [])):
        if step.get("advance"):
            _check(
                client.post("/sandbox/clock", json={"advance": step["advance"]}),
                f"step {index}: advance",
            )
        if "action" not in step:
            continue
        for _ in range(int(step.get("repeat", 1))):
            url = f"/sandbox/corps/{corp_id}/actions/{step['action']}"
            results.append(
                _check(
                    client.post(url, json=step.get("args", {})), f"step {index}: {step['action']}"
                )
            )
    if "live" in scenario:
        _check(
            client.post("/sandbox/live", json={"corp_id": corp_id, **scenario["live"]}),
            "start live driver",
        )
    return {"corp": corp, "steps": results}
