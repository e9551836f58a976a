"""Login, sessions, API key authentication and password changes.

Rate limits and lockouts are computed from rows (`login_attempts`, `users.locked_until`), not
process memory, so they hold across every API process that shares the database.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.auth import credentials
from siyu.auth.models import ApiKey, AuthSession, User
from siyu.auth.repository import api_keys, auth_sessions, login_attempts, memberships, users
from siyu.auth.schemas import MembershipSummary, SessionInfo
from siyu.auth.schemas import User as UserOut
from siyu.corps.schemas import CorpSummary
from siyu.corps.service import corp_service
from siyu.kit.clock import utcnow
from siyu.kit.errors import BadRequest, SiyuError, TooManyRequests, Unauthorized
from siyu.settings import Settings

INVALID_CREDENTIALS = "email or password is wrong"
# Refresh `api_keys.last_used_at` at most this often, so busy integrations do not turn every
# read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class ClientInfo:
    ip: str
    user_agent: str | None


@dataclass
class LoginOutcome:
    """Failures are returned, not raised, so the route can commit the recorded attempt first."""

    user: User | None = None
    token: str | None = None
    csrf_token: str | None = None
    error: SiyuError | None = None


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


class AuthService:
    def login(
        self,
        session: Session,
        *,
        email: str,
        password: str,
        client: ClientInfo,
        settings: Settings,
    ) -> LoginOutcome:
        now = utcnow()
        email = email.strip().lower()[:254]
        limited = self._ip_limit(session, client.ip, now, settings)
        if limited is not None:
            return LoginOutcome(error=limited)
        user = users.get_by_email(session, email)
        locked = self._lockout(session, user, email, now, settings)
        if locked is not None:
            return LoginOutcome(error=locked)
        if user is not None:
            valid = credentials.verify_password(user.password_hash, password) and user.is_active
        else:
            credentials.burn_verification(password)
            valid = False
        login_attempts.add(session, email=email, ip=client.ip, succeeded=valid, at=now)
        if user is None or not valid:
            self._count_failure(session, user, now, settings)
            return LoginOutcome(error=Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials"))
        if credentials.needs_rehash(user.password_hash):
            user.password_hash = credentials.hash_password(password)
        user.failed_login_count = 0
        user.locked_until = None
        user.last_login_at = now
        token = credentials.new_session_token()
        auth_session = auth_sessions.add(
            session,
            AuthSession(
                token_hash=credentials.token_digest(token),
                user_id=user.id,
                csrf_token=credentials.new_csrf_token(),
                created_at=now,
                expires_at=now + timedelta(hours=settings.session_ttl_hours),
                ip=client.ip,
                user_agent=(client.user_agent or "")[:255] or None,
            ),
        )
        audit_service.record(session, action="auth.login", target_type="user", target_id=user.id)
        return LoginOutcome(user=user, token=token, csrf_token=auth_session.csrf_token)

    def _ip_limit(
        self, session: Session, ip: str, now: datetime, settings: Settings
    ) -> TooManyRequests | None:
        window = timedelta(seconds=settings.login_ip_window_seconds)
        limit = settings.login_ip_attempts_per_window
        failures = login_attempts.failures_by_ip_since(session, ip, now - window)
        if len(failures) < limit:
            return None
        # The attempt whose expiry brings the count back under the limit.
        frees_at = failures[len(failures) - limit] + window
        return TooManyRequests(
            "too many failed logins from this address; try again later",
            retry_after=_seconds_until(frees_at, now),
        )

    def _lockout(
        self, session: Session, user: User | None, email: str, now: datetime, settings: Settings
    ) -> TooManyRequests | None:
        if user is not None:
            if user.locked_until is None:
                return None
            if user.locked_until > now:
                return TooManyRequests(
                    "this account is locked after too many failed logins; try again later",
                    retry_after=_seconds_until(user.locked_until, now),
                )
            user.locked_until = None  # the lock has run out: start counting afresh
            user.failed_login_count = 0
            return None
        # Unknown emails lock the same way, so a lockout does not reveal that an account exists.
        lock = timedelta(minutes=settings.login_lockout_minutes)
        failures = login_attempts.failures_by_email_since(session, email, now - lock)
        if len(failures) < settings.login_max_failures:
            return None
        return TooManyRequests(
            "this account is locked after too many failed logins; try again later",
            retry_after=_seconds_until(failures[-settings.login_max_failures] + lock, now),
        )

    def _count_failure(
        self, session: Session, user: User | None, now: datetime, settings: Settings
    ) -> None:
        if user is None:
            return
        if users.count_failure(session, user) >= settings.login_max_failures:
            user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
            audit_service.record(
                session,
                action="auth.lockout",
                target_type="user",
                target_id=user.id,
                details={"until": user.locked_until.isoformat()},
            )
        session.flush()

    def session_info(self, session: Session, *, user: User, csrf_token: str) -> SessionInfo:
        rows = memberships.of_user(session, user.id)
        corps = {c.id: c for c in corp_service.list(session, ids=[m.corp_id for m in rows])}
        summaries = [
            MembershipSummary(
                corp=CorpSummary.model_validate(corps[m.corp_id]), role=m.role, scope=m.scope
            )
            for m in sorted(rows, key=lambda m: corps[m.corp_id].name)
        ]
        return SessionInfo(
            user=UserOut.model_validate(user), csrf_token=csrf_token, memberships=summaries
        )

    def authenticate_session(
        self, session: Session, *, token: str
    ) -> tuple[AuthSession, User] | None:
        """The live session and active user behind a cookie token, or None."""
        auth_session = auth_sessions.get_by_digest(session, credentials.token_digest(token))
        if auth_session is None or auth_session.revoked_at is not None:
            return None
        if auth_session.expires_at <= utcnow():
            return None
        user = users.get(session, auth_session.user_id)
        if user is None or not user.is_active:
            return None
        return auth_session, user

    def authenticate_api_key(self, session: Session, *, key: str) -> ApiKey | None:
        if not credentials.looks_like_api_key(key):
            return None
        api_key = api_keys.get_by_digest(session, credentials.token_digest(key))
        if api_key is None or api_key.revoked_at is not None:
            return None
        if api_key.expires_at is not None and api_key.expires_at <= utcnow():
            return None
        return api_key

    def needs_touch(self, api_key: ApiKey) -> bool:
        """Whether `last_used_at` is stale enough to be worth a write."""
        last = api_key.last_used_at
        return last is None or utcnow() - last >= _LAST_USED_RESOLUTION

    def touch_api_key(self, session: Session, *, key_id: uuid.UUID) -> None:
        api_keys.touch(session, key_id, at=utcnow())

    def logout(self, session: Session, *, auth_session: AuthSession) -> None:
        auth_session.revoked_at = utcnow()
        audit_service.record(
            session, action="auth.logout", target_type="user", target_id=auth_session.user_id
        )
        session.flush()

    def change_password(
        self,
        session: Session,
        *,
        user: User,
        auth_session: AuthSession | None,
        current_password: str,
        new_password: str,
    ) -> None:
        """Change the caller's password and end their other sessions (a stolen cookie dies)."""
        if not credentials.verify_password(user.password_hash, current_password):
            raise BadRequest("the current password is wrong", code="wrong_password")
        if current_password == new_password:
            raise BadRequest("the new password must differ from the current one")
        user.password_hash = credentials.hash_password(new_password)
        auth_sessions.revoke_all_of_user(
            session, user.id, now=utcnow(), keep=auth_session.id if auth_session else None
        )
        audit_service.record(
            session, action="user.password_change", target_type="user", target_id=user.id
        )
        session.flush()


auth_service = AuthService()
