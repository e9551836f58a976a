"""Regenerate the initial migration from the models.

Only for the pre-release period, while there is a single migration and no installation to
upgrade: afterwards every schema change is a new revision (`alembic revision --autogenerate`).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from siyu.db.migrate import MIGRATIONS_DIR, alembic_config

TARGET = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def main() -> None:
    TARGET.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'empty.db'}"
        command.revision(
            alembic_config(url),
            message="Initial schema: tenancy, people and access, audit, jobs.",
            autogenerate=True,
            rev_id="0001",
        )
    produced = sorted((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    for path in produced:
        if path != TARGET:
            path.rename(TARGET)
    subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(TARGET)], check=True)
    subprocess.run([sys.executable, "-m", "ruff", "check", "-q", "--fix", str(TARGET)], check=False)
    print(f"wrote {TARGET}")  # noqa: T201


if __name__ == "__main__":
    main()
