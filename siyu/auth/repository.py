"""SQL over users, memberships, sessions, API keys and login attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.auth.models import ApiKey, AuthSession, CorpMembership, LoginAttempt, User


class UserRepository:
    def get(self, session: Session, user_id: uuid.UUID) -> User | None:
        return session.get(User, user_id)

    def get_by_email(self, session: Session, email: str) -> User | None:
        return session.scalar(select(User).where(User.email == email.strip().lower()))

    def count(self, session: Session) -> int:
        return session.scalar(select(func.count()).select_from(User)) or 0

    def list(self, session: Session, *, after_id: uuid.UUID | None, limit: int) -> list[User]:
        stmt = select(User).order_by(User.id).limit(limit)
        if after_id is not None:
            stmt = stmt.where(User.id > after_id)
        return list(session.scalars(stmt))

    def add(self, session: Session, user: User) -> User:
        session.add(user)
        session.flush()
        return user

    def count_failure(self, session: Session, user: User) -> int:
        """Increment the failure counter in SQL, so concurrent API processes never lose a count."""
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_login_count=User.failed_login_count + 1)
        )
        session.refresh(user, ["failed_login_count"])
        return user.failed_login_count


class MembershipRepository:
    def get(self, session: Session, membership_id: uuid.UUID) -> CorpMembership | None:
        return session.get(CorpMembership, membership_id)

    def find(
        self, session: Session, *, corp_id: uuid.UUID, user_id: uuid.UUID
    ) -> CorpMembership | None:
        stmt = select(CorpMembership).where(
            CorpMembership.corp_id == corp_id, CorpMembership.user_id == user_id
        )
        return session.scalar(stmt)

    def of_user(self, session: Session, user_id: uuid.UUID) -> list[CorpMembership]:
        stmt = select(CorpMembership).where(CorpMembership.user_id == user_id)
        return list(session.scalars(stmt))

    def of_corp(self, session: Session, corp_id: uuid.UUID) -> list[tuple[CorpMembership, User]]:
        stmt = (
            select(CorpMembership, User)
            .join(User, User.id == CorpMembership.user_id)
            .where(CorpMembership.corp_id == corp_id)
            .order_by(User.email)
        )
        return [(m, u) for m, u in session.execute(stmt)]

    def count_owners(self, session: Session, corp_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(
            CorpMembership.corp_id == corp_id, CorpMembership.role == "owner"
        )
        return session.scalar(stmt) or 0

    def add(self, session: Session, membership: CorpMembership) -> CorpMembership:
        session.add(membership)
        session.flush()
        return membership

    def delete(self, session: Session, membership: CorpMembership) -> None:
        session.delete(membership)
        session.flush()


class AuthSessionRepository:
    def get_by_digest(self, session: Session, digest: str) -> AuthSession | None:
        return session.scalar(select(AuthSession).where(AuthSession.token_hash == digest))

    def add(self, session: Session, auth_session: AuthSession) -> AuthSession:
        session.add(auth_session)
        session.flush()
        return auth_session

    def revoke_all_of_user(
        self,
        session: Session,
        user_id: uuid.UUID,
        *,
        now: datetime,
        keep: uuid.UUID | None = None,
    ) -> None:
        stmt = update(AuthSession).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
        )
        if keep is not None:
            stmt = stmt.where(AuthSession.id != keep)
        session.execute(stmt.values(revoked_at=now))


class ApiKeyRepository:
    def get(self, session: Session, corp_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
        return session.scalar(select(ApiKey).where(ApiKey.id == key_id, ApiKey.corp_id == corp_id))

    def get_by_digest(self, session: Session, digest: str) -> ApiKey | None:
        return session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))

    def touch(self, session: Session, key_id: uuid.UUID, *, at: datetime) -> None:
        session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=at))

    def of_corp(self, session: Session, corp_id: uuid.UUID) -> list[ApiKey]:
        stmt = select(ApiKey).where(ApiKey.corp_id == corp_id).order_by(ApiKey.id.desc())
        return list(session.scalars(stmt))

    def add(self, session: Session, key: ApiKey) -> ApiKey:
        session.add(key)
        session.flush()
        return key


class LoginAttemptRepository:
    def add(self, session: Session, *, email: str, ip: str, succeeded: bool, at: datetime) -> None:
        session.add(LoginAttempt(email=email, ip=ip, succeeded=succeeded, created_at=at))
        session.flush()

    def failures_by_ip_since(self, session: Session, ip: str, since: datetime) -> list[datetime]:
        """Times of failed attempts from `ip` since `since`, oldest first."""
        stmt = (
            select(LoginAttempt.created_at)
            .where(
                LoginAttempt.ip == ip,
                LoginAttempt.created_at > since,
                LoginAttempt.succeeded.is_(False),
            )
            .order_by(LoginAttempt.created_at)
        )
        return list(session.scalars(stmt))

    def failures_by_email_since(
        self, session: Session, email: str, since: datetime
    ) -> list[datetime]:
        stmt = (
            select(LoginAttempt.created_at)
            .where(
                LoginAttempt.email == email,
                LoginAttempt.created_at > since,
                LoginAttempt.succeeded.is_(False),
            )
            .order_by(LoginAttempt.created_at)
        )
        return list(session.scalars(stmt))


users = UserRepository()
memberships = MembershipRepository()
auth_sessions = AuthSessionRepository()
api_keys = ApiKeyRepository()
login_attempts = LoginAttemptRepository()
