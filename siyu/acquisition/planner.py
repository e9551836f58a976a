"""The user list and skip_verify a code's way should have now, from the database's loads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from siyu.acquisition.loads import load_queries
from siyu.acquisition.models import LiveCode
from siyu.acquisition.repository import acquisition_repository as repo
from siyu.acquisition.routing import StaffLoad, choose_users, on_shift, skip_verify_now
from siyu.profile.stages import CN_TZ


@dataclass(frozen=True)
class WayPlan:
    users: list[str]
    skip_verify: bool

    def differs_from(self, code: LiveCode) -> bool:
        return (
            self.users != list(code.active_userids) or self.skip_verify != code.active_skip_verify
        )


def pool_of(session: Session, code: LiveCode) -> list[str]:
    named = list(dict.fromkeys(code.staff_userids))
    expanded = load_queries.userids_in(session, code.corp_id, code.department_ids)
    return named + [u for u in expanded if u not in set(named)]


def plan_way(session: Session, code: LiveCode, *, now: datetime) -> WayPlan:
    local = now.astimezone(CN_TZ)
    pool = pool_of(session, code)
    everyone = list(dict.fromkeys([*pool, *code.backup_userids]))
    members = load_queries.members(session, code.corp_id, everyone)
    friends = load_queries.friends(session, code.corp_id, everyone)
    adds = load_queries.adds_on(session, code.corp_id, local.date(), everyone)
    code_adds = repo.code_adds_on(session, code.id, local.date(), everyone)

    def load(userid: str) -> StaffLoad:
        member = members[userid]
        return StaffLoad(
            userid=userid,
            active=member.active,
            friends=friends.get(userid, 0),
            friend_cap=member.friend_cap,
            adds_today=adds.get(userid, 0),
            daily_cap=member.daily_cap,
            code_adds_today=code_adds.get(userid, 0),
            code_cap=code.daily_cap,
            weight=int(code.weights.get(userid, 1)),
        )

    # A disabled or expired code keeps its way (the printed QR must work again when it is
    # re-enabled) but routes nobody from the pool: only backup staff receive its scans.
    live = code.enabled and (code.expires_at is None or code.expires_at > now)
    users = choose_users(
        routing=code.routing,
        pool=[load(u) for u in pool],
        backups=[load(u) for u in code.backup_userids],
        on_duty=live and on_shift(code.working_hours, local),
    )
    skip = skip_verify_now(code.skip_verify, code.skip_verify_windows, local)
    return WayPlan(users=users, skip_verify=skip)
