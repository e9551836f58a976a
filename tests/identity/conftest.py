"""Import files go to the test's own directory, not the repository's var/."""

from __future__ import annotations

from pathlib import Path

import pytest

from siyu.settings import Settings


@pytest.fixture(autouse=True)
def _import_dir(settings: Settings, tmp_path: Path) -> None:
    settings.import_dir = tmp_path / "imports"
