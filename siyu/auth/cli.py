"""`siyu user …`: create and list console users from the shell, and the first-run bootstrap."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from siyu.audit.context import AuditContext, bind_audit_context
from siyu.auth.management import membership_service, user_service
from siyu.auth.models import Role, User
from siyu.auth.repository import users
from siyu.auth.schemas import MemberCreate, UserCreate
from siyu.corps.service import corp_service
from siyu.db.session import Database
from siyu.kit.cli import settings_of
from siyu.kit.errors import SiyuError

app = typer.Typer(help="Console users.", no_args_is_help=True)
_out = Console()
_err = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _cli_session(session: Session) -> None:
    bind_audit_context(session, AuditContext(actor_label="cli"), guard_writes=False)


@app.command("create")
def create_user(
    ctx: typer.Context,
    email: Annotated[str, typer.Option(help="Login email")],
    password: Annotated[
        str, typer.Option(help="At least 10 characters", prompt=True, hide_input=True)
    ],
    superuser: Annotated[bool, typer.Option(help="Installation administrator")] = False,
    corp: Annotated[str | None, typer.Option(help="WeCom CorpID to add the user to")] = None,
    role: Annotated[Role, typer.Option(help="Role in --corp")] = Role.staff,
    name: Annotated[str | None, typer.Option(help="Display name")] = None,
) -> None:
    """Create a console user, optionally as a member of one corp."""
    db = Database(settings_of(ctx).database_url)
    try:
        with db.transaction() as session:
            _cli_session(session)
            data = UserCreate(
                email=email,
                password=password,
                is_superuser=superuser,
                display_name=name or email.split("@")[0],
            )
            user = user_service.create(session, data=data)
            if corp is not None:
                found = corp_service.list(session)
                match = next((c for c in found if c.wecom_corp_id == corp), None)
                if match is None:
                    raise SiyuError(f"no corp has CorpID {corp}")
                membership_service.add(
                    session,
                    corp_id=match.id,
                    actor_role=Role.owner,
                    data=MemberCreate(email=user.email, role=role),
                )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise _fail(f"{where}: {first.get('msg')}") from None
    except SiyuError as exc:
        raise _fail(exc.message) from None
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from None
    finally:
        db.dispose()
    where = f" ({role.value} in {corp})" if corp else ""
    _out.print(f"created {user.email}{' (superuser)' if superuser else ''}{where}")


@app.command("list")
def list_users(ctx: typer.Context) -> None:
    """All console users, with their memberships."""
    db = Database(settings_of(ctx).database_url)
    try:
        with db.transaction(write=False) as session:
            corps = {c.id: c.wecom_corp_id for c in corp_service.list(session)}
            table = Table("email", "name", "superuser", "active", "last login", "corps")
            rows, cursor = user_service.list(session, cursor=None, limit=200)
            while True:
                for user in rows:
                    member_of = membership_service.of_user(session, user_id=user.id)
                    table.add_row(
                        user.email,
                        user.display_name,
                        "yes" if user.is_superuser else "",
                        "yes" if user.is_active else "no",
                        user.last_login_at.strftime("%Y-%m-%d %H:%M")
                        if user.last_login_at
                        else "never",
                        ", ".join(f"{corps.get(m.corp_id, '?')}:{m.role}" for m in member_of),
                    )
                if cursor is None:
                    break
                rows, cursor = user_service.list(session, cursor=cursor, limit=200)
    except (SiyuError, OSError) as exc:
        raise _fail(getattr(exc, "message", None) or str(exc)) from None
    finally:
        db.dispose()
    _out.print(table)


def bootstrap_owner(session: Session, *, email: str, password: str) -> bool:
    """Create the first superuser, owner of every corp, when the installation has no user.

    Returns False (and changes nothing) once any user exists, so `make run` can call it on
    every start.
    """
    if users.count(session) > 0:
        return False
    _cli_session(session)
    user: User = user_service.create(
        session,
        data=UserCreate(
            email=email,
            password=password,
            is_superuser=True,
            display_name=email.split("@")[0],
        ),
    )
    for corp in corp_service.list(session):
        membership_service.add_owner(session, corp_id=corp.id, user=user)
    return True
