"""Managing people and credentials: users, corp memberships and API keys."""

from __future__ import annotations

import builtins
import uuid

from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.auth import credentials
from siyu.auth.models import DEFAULT_SCOPE, ApiKey, CorpMembership, Role, User
from siyu.auth.repository import api_keys, auth_sessions, memberships, users
from siyu.auth.schemas import ApiKeyCreate, MemberCreate, MemberUpdate, UserCreate, UserUpdate
from siyu.kit.clock import utcnow
from siyu.kit.errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from siyu.kit.pagination import decode_id_cursor, split_id_page


class UserService:
    def get_or_404(self, session: Session, user_id: uuid.UUID) -> User:
        user = users.get(session, user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        return user

    def create(self, session: Session, *, data: UserCreate) -> User:
        if users.get_by_email(session, data.email) is not None:
            raise Conflict(f"a user with email {data.email} already exists")
        user = users.add(
            session,
            User(
                email=data.email,
                display_name=data.display_name,
                password_hash=credentials.hash_password(data.password),
                is_superuser=data.is_superuser,
            ),
        )
        audit_service.record(
            session,
            action="user.create",
            target_type="user",
            target_id=user.id,
            details={"email": user.email, "is_superuser": user.is_superuser},
        )
        return user

    def update(self, session: Session, *, user: User, data: UserUpdate, actor: User) -> User:
        fields = data.model_dump(exclude_unset=True, exclude_none=True)
        if user.id == actor.id and (
            fields.get("is_active") is False or fields.get("is_superuser") is False
        ):
            raise BadRequest("you cannot deactivate or demote yourself")
        if "display_name" in fields:
            user.display_name = fields["display_name"]
        if "is_superuser" in fields:
            user.is_superuser = fields["is_superuser"]
        if "is_active" in fields:
            user.is_active = fields["is_active"]
            if not user.is_active:
                auth_sessions.revoke_all_of_user(session, user.id, now=utcnow())
        if fields.get("unlock"):
            user.locked_until = None
            user.failed_login_count = 0
        session.flush()
        audit_service.record(
            session,
            action="user.update",
            target_type="user",
            target_id=user.id,
            details={"fields": sorted(fields)},
        )
        return user

    def list(
        self, session: Session, *, cursor: str | None, limit: int
    ) -> tuple[list[User], str | None]:
        rows = users.list(session, after_id=decode_id_cursor(cursor), limit=limit + 1)
        return split_id_page(rows, limit)


class MembershipService:
    def get_or_404(
        self, session: Session, *, corp_id: uuid.UUID, member_id: uuid.UUID
    ) -> CorpMembership:
        membership = memberships.get(session, member_id)
        if membership is None or membership.corp_id != corp_id:
            raise NotFound(f"member {member_id} does not exist")
        return membership

    def list(self, session: Session, *, corp_id: uuid.UUID) -> list[tuple[CorpMembership, User]]:
        return memberships.of_corp(session, corp_id)

    def of_user(self, session: Session, *, user_id: uuid.UUID) -> builtins.list[CorpMembership]:
        return memberships.of_user(session, user_id)

    def add_owner(self, session: Session, *, corp_id: uuid.UUID, user: User) -> CorpMembership:
        """Make `user` an owner of `corp_id` (corp registration, bootstrap); idempotent."""
        existing = memberships.find(session, corp_id=corp_id, user_id=user.id)
        if existing is not None:
            existing.role, existing.scope = Role.owner.value, DEFAULT_SCOPE[Role.owner].value
            session.flush()
            return existing
        return memberships.add(
            session,
            CorpMembership(
                corp_id=corp_id,
                user_id=user.id,
                role=Role.owner.value,
                scope=DEFAULT_SCOPE[Role.owner].value,
                department_ids=[],
            ),
        )

    def add(
        self, session: Session, *, corp_id: uuid.UUID, data: MemberCreate, actor_role: Role
    ) -> tuple[CorpMembership, User]:
        """Add a user to the corp, creating the user if the email is new and a password given.

        A password for an existing user is refused rather than ignored: corp admins must not be
        able to reset the password of someone who also works in other corps.
        """
        _check_may_grant(actor_role, data.role)
        user = users.get_by_email(session, data.email)
        if user is None:
            if data.password is None:
                raise NotFound(f"no user has email {data.email}; give a password to create one")
            user = user_service.create(
                session,
                data=UserCreate(
                    email=data.email,
                    display_name=data.display_name or data.email.split("@")[0],
                    password=data.password,
                ),
            )
        elif data.password is not None:
            raise Conflict(f"{data.email} already has an account; add them without a password")
        if memberships.find(session, corp_id=corp_id, user_id=user.id) is not None:
            raise Conflict(f"{data.email} is already a member of this corp")
        membership = memberships.add(
            session,
            CorpMembership(
                corp_id=corp_id,
                user_id=user.id,
                role=data.role.value,
                scope=(data.scope or DEFAULT_SCOPE[data.role]).value,
                staff_userid=data.staff_userid,
                department_ids=sorted(set(data.department_ids)),
            ),
        )
        audit_service.record(
            session,
            action="member.create",
            target_type="member",
            target_id=membership.id,
            details={"email": user.email, "role": membership.role, "scope": membership.scope},
        )
        return membership, user

    def update(
        self,
        session: Session,
        *,
        membership: CorpMembership,
        data: MemberUpdate,
        actor_role: Role,
    ) -> CorpMembership:
        fields = data.model_dump(exclude_unset=True)
        _check_may_grant(actor_role, Role(membership.role))
        if data.role is not None:
            _check_may_grant(actor_role, data.role)
            if membership.role == Role.owner and data.role is not Role.owner:
                self._keep_an_owner(session, membership)
            membership.role = data.role.value
            if data.scope is None:
                membership.scope = DEFAULT_SCOPE[data.role].value
        if data.scope is not None:
            membership.scope = data.scope.value
        if "staff_userid" in fields:
            membership.staff_userid = data.staff_userid
        if data.department_ids is not None:
            membership.department_ids = sorted(set(data.department_ids))
        session.flush()
        audit_service.record(
            session,
            action="member.update",
            target_type="member",
            target_id=membership.id,
            details={"fields": sorted(fields), "role": membership.role, "scope": membership.scope},
        )
        return membership

    def remove(self, session: Session, *, membership: CorpMembership, actor_role: Role) -> None:
        _check_may_grant(actor_role, Role(membership.role))
        if membership.role == Role.owner:
            self._keep_an_owner(session, membership)
        audit_service.record(
            session,
            action="member.delete",
            target_type="member",
            target_id=membership.id,
            details={"user_id": str(membership.user_id), "role": membership.role},
        )
        memberships.delete(session, membership)

    @staticmethod
    def _keep_an_owner(session: Session, membership: CorpMembership) -> None:
        if memberships.count_owners(session, membership.corp_id) <= 1:
            raise Conflict("a corp needs at least one owner; make someone else owner first")


def _check_may_grant(actor_role: Role, role: Role) -> None:
    """Only owners create, change or remove owners; admins manage everyone else."""
    if role is Role.owner and actor_role is not Role.owner:
        raise Forbidden("only an owner can grant, change or remove the owner role")


class ApiKeyService:
    def get_or_404(self, session: Session, *, corp_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
        key = api_keys.get(session, corp_id, key_id)
        if key is None:
            raise NotFound(f"API key {key_id} does not exist")
        return key

    def list(self, session: Session, *, corp_id: uuid.UUID) -> list[ApiKey]:
        return api_keys.of_corp(session, corp_id)

    def create(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        data: ApiKeyCreate,
        created_by: uuid.UUID | None,
    ) -> tuple[ApiKey, str]:
        """Returns the row and the secret key; the key itself is never stored."""
        if data.expires_at is not None and data.expires_at <= utcnow():
            raise Unprocessable("expires_at must be in the future")
        new = credentials.new_api_key()
        key = api_keys.add(
            session,
            ApiKey(
                corp_id=corp_id,
                name=data.name,
                prefix=new.prefix,
                key_hash=new.digest,
                scopes=data.scopes,
                created_by_user_id=created_by,
                created_at=utcnow(),
                expires_at=data.expires_at,
            ),
        )
        audit_service.record(
            session,
            action="api_key.create",
            target_type="api_key",
            target_id=key.id,
            details={"name": key.name, "scopes": key.scopes, "prefix": key.prefix},
        )
        return key, new.key

    def revoke(self, session: Session, *, key: ApiKey) -> None:
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            session.flush()
        audit_service.record(
            session,
            action="api_key.revoke",
            target_type="api_key",
            target_id=key.id,
            details={"name": key.name},
        )


user_service = UserService()
membership_service = MembershipService()
api_key_service = ApiKeyService()
