"""Routing as pure functions: caps, near-cap steering, strategies, shifts and the fallbacks."""

from __future__ import annotations

from datetime import datetime

from siyu.acquisition.routing import StaffLoad, choose_users, on_shift, skip_verify_now


def load(userid: str, **values: int) -> StaffLoad:
    base = {
        "friends": 0,
        "friend_cap": 5000,
        "adds_today": 0,
        "daily_cap": 400,
        "code_adds_today": 0,
        "weight": 1,
    }
    return StaffLoad(
        userid=userid, active=True, code_cap=values.pop("code_cap", None), **(base | values)
    )  # type: ignore[arg-type]


class TestChooseUsers:
    def test_staff_at_a_cap_leave_the_list(self) -> None:
        pool = [
            load("a", adds_today=400),
            load("b", friends=5000),
            load("c", code_adds_today=3, code_cap=3),
            load("d"),
        ]
        assert choose_users(routing="round_robin", pool=pool, backups=[], on_duty=True) == ["d"]

    def test_near_cap_accounts_are_avoided_while_others_have_room(self) -> None:
        pool = [load("a", friends=4800), load("b")]
        assert choose_users(routing="round_robin", pool=pool, backups=[], on_duty=True) == ["b"]
        alone = [load("a", friends=4800)]
        assert choose_users(routing="round_robin", pool=alone, backups=[], on_duty=True) == ["a"]

    def test_least_loaded_keeps_the_emptier_half(self) -> None:
        pool = [
            load("a", adds_today=50),
            load("b", adds_today=5),
            load("c", adds_today=20),
            load("d"),
        ]
        assert choose_users(routing="least_loaded", pool=pool, backups=[], on_duty=True) == [
            "d",
            "b",
        ]

    def test_weighted_lists_those_behind_their_share(self) -> None:
        pool = [load("a", weight=3, code_adds_today=3), load("b", weight=1, code_adds_today=3)]
        assert choose_users(routing="weighted", pool=pool, backups=[], on_duty=True) == ["a"]

    def test_never_empty(self) -> None:
        full = [load("a", adds_today=400)]
        backups = [load("z")]
        assert choose_users(routing="round_robin", pool=full, backups=backups, on_duty=True) == [
            "z"
        ]
        assert choose_users(routing="round_robin", pool=full, backups=[], on_duty=True) == ["a"]
        assert choose_users(
            routing="round_robin", pool=[load("a")], backups=backups, on_duty=False
        ) == ["z"]

    def test_at_most_a_hundred_users(self) -> None:
        pool = [load(f"u{i}") for i in range(150)]
        assert len(choose_users(routing="round_robin", pool=pool, backups=[], on_duty=True)) == 100


class TestHours:
    def test_shifts_weekdays_and_overnight_windows(self) -> None:
        tuesday_noon = datetime(2026, 3, 10, 12, 0)
        assert on_shift({"start": "09:00", "end": "18:00", "weekdays": [2]}, tuesday_noon)
        assert not on_shift({"start": "09:00", "end": "18:00", "weekdays": [1]}, tuesday_noon)
        assert not on_shift({"start": "13:00", "end": "18:00"}, tuesday_noon)
        assert on_shift({"start": "22:00", "end": "13:00"}, tuesday_noon)
        assert on_shift(None, tuesday_noon)

    def test_skip_verify_only_inside_its_windows(self) -> None:
        noon = datetime(2026, 3, 10, 12, 0)
        assert skip_verify_now(True, [], noon)
        assert skip_verify_now(True, [{"start": "11:00", "end": "13:00"}], noon)
        assert not skip_verify_now(True, [{"start": "20:00", "end": "21:00"}], noon)
        assert not skip_verify_now(False, [], noon)
