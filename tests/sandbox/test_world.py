"""Seeded worlds, the live driver, scenarios and persistence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from siyu.sandbox.app import create_sandbox_app
from siyu.sandbox.clock import SandboxClock
from siyu.sandbox.demo import DEMO_CORP_ID, build_demo
from siyu.sandbox.live import LiveDriver
from siyu.sandbox.persistence import load_state, save_state
from siyu.sandbox.scenario import load_scenario, run_scenario
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world
from tests.sandbox.helpers import START

SCENARIOS = Path(__file__).parents[2] / "siyu" / "sandbox" / "scenarios"


def fingerprint(state: SandboxState) -> list[Any]:
    rows: list[Any] = []
    for corp in state.corps.values():
        rows.append(sorted(corp.staff))
        rows.append(
            [
                (c.external_userid, c.name, c.unionid, c.phone, c.gender, sorted(c.follows))
                for c in corp.customers.values()
            ]
        )
        rows.append([(g.chat_id, sorted(g.members)) for g in corp.groups.values()])
    return rows


def world(seed: int, customers: int = 500) -> SandboxState:
    state = SandboxState(seed=seed, clock=SandboxClock(frozen_at=START))
    generate_world(state, state.create_corp(corp_id="wwworld"), customers=customers)
    return state


class TestGenerator:
    def test_same_seed_same_world(self) -> None:
        assert fingerprint(world(5)) == fingerprint(world(5))
        assert fingerprint(world(5)) != fingerprint(world(6))

    def test_realistic_people(self) -> None:
        corp = world(1).corps["wwworld"]
        customers = list(corp.customers.values())
        assert len(customers) == 500
        assert all(2 <= len(c.name) <= 3 and "\u4e00" <= c.name[0] <= "\u9fff" for c in customers)
        assert all(c.phone.startswith("1") and len(c.phone) == 11 for c in customers)
        assert all(c.unionid.startswith("o") and len(c.unionid) == 28 for c in customers)
        assert all(
            c.external_userid.startswith("wm") and len(c.external_userid) == 32 for c in customers
        )
        assert {c.gender for c in customers} == {0, 1, 2}
        assert len({c.unionid for c in customers}) == 500
        assert all(corp.unionids[c.unionid] == c.external_userid for c in customers)
        assert all(c.follows for c in customers) and corp.groups and corp.tags

    def test_tiny_world(self) -> None:
        corp = world(1, customers=10).corps["wwworld"]
        assert len(corp.customers) == 10 and len(corp.staff) == 3


class TestLiveDriver:
    def test_customers_arrive_with_the_clock(self) -> None:
        state = SandboxState(seed=3, clock=SandboxClock(frozen_at=START))
        corp = build_demo(state)
        before = len(corp.customers)
        driver = LiveDriver(state, corp.corp_id, rate_per_minute=30)
        state.clock.advance(60)
        assert driver.tick() == 30
        assert len(corp.customers) == before + 30 and driver.describe()["arrived"] == 30
        newest = list(corp.customers.values())[-1]
        assert next(iter(newest.follows.values())).state == "demo_counter"

    def test_control_api_starts_and_stops_it(self) -> None:
        state = SandboxState(seed=3, clock=SandboxClock(frozen_at=START))
        build_demo(state)
        with TestClient(create_sandbox_app(state)) as client:
            started = client.post(
                "/sandbox/live", json={"corp_id": DEMO_CORP_ID, "rate_per_minute": 120}
            ).json()
            assert started["drivers"][0]["running"] is True
            before = len(state.corps[DEMO_CORP_ID].customers)
            client.post("/sandbox/clock", json={"advance": 30})
            assert len(state.corps[DEMO_CORP_ID].customers) == before + 60
            stopped = client.post(
                "/sandbox/live", json={"corp_id": DEMO_CORP_ID, "running": False}
            ).json()
            assert stopped["drivers"][0]["running"] is False


class TestScenario:
    def test_demo_scenario_plays_in_process(self) -> None:
        state = SandboxState(seed=0, clock=SandboxClock(frozen_at=START))
        with TestClient(create_sandbox_app(state)) as client:
            result = run_scenario(client, load_scenario(SCENARIOS / "demo.toml"))
        corp = state.corps["wwscenariodemo0001"]
        assert len(result["steps"]) == 7
        assert len(corp.customers) == 300 + 5 + 1 and state.rules.mass_quota == "four_per_month"
        assert state.clock.time() == START + 3660

    def test_scenarios_are_reproducible(self) -> None:
        def play() -> list[Any]:
            state = SandboxState(seed=0, clock=SandboxClock(frozen_at=START))
            with TestClient(create_sandbox_app(state)) as client:
                run_scenario(client, load_scenario(SCENARIOS / "demo.toml"))
            return fingerprint(state)

        assert play() == play()


class TestPersistence:
    def test_snapshot_round_trip(self, tmp_path: Path) -> None:
        state = SandboxState(seed=9, clock=SandboxClock(frozen_at=START))
        corp = build_demo(state)
        state.at(
            START + 100, "customer.reply", corp.corp_id, external_userid=next(iter(corp.customers))
        )
        path = tmp_path / "sandbox.sqlite"
        assert save_state(state, path) > 0
        restored = SandboxState(seed=0, clock=SandboxClock(frozen_at=0))
        assert load_state(restored, path)
        assert fingerprint(restored) == fingerprint(state)
        assert restored.pending() == state.pending() and restored.clock.time() == START
        assert restored.corps[DEMO_CORP_ID].secret == corp.secret

    def test_missing_file_means_a_fresh_world(self, tmp_path: Path) -> None:
        assert load_state(SandboxState(), tmp_path / "none.sqlite") is False


class TestCli:
    def test_scenario_run_against_a_running_sandbox(
        self, served: tuple[str, object], state: SandboxState
    ) -> None:
        from typer.testing import CliRunner

        from siyu.sandbox.cli import app

        result = CliRunner().invoke(
            app, ["scenario", "run", str(SCENARIOS / "demo.toml"), "--base-url", served[0]]
        )
        assert result.exit_code == 0, result.output
        assert "7 step(s) played" in result.output
        assert len(state.corps["wwscenariodemo0001"].customers) == 306
