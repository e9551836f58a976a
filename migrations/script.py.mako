"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import siyu.db.types
% if not down_revision:
from siyu.db import search
% endif
${imports if imports else ""}

revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
% if not down_revision:
    # Substring search indexes that model metadata cannot express (siyu/db/search.py).
    dialect = op.get_bind().dialect.name
    for statement in search.before_tables_statements(dialect):
        op.execute(statement)
% endif
    ${upgrades if upgrades else "pass"}
% if not down_revision:
    for statement in search.after_tables_statements(dialect):
        op.execute(statement)
% endif


def downgrade() -> None:
% if not down_revision:
    for statement in search.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
% endif
    ${downgrades if downgrades else "pass"}
