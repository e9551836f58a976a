"""Settings: documented in .env.example, and production refuses placeholder secrets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from siyu.settings import PLACEHOLDER_SECRET_KEY, Environment, Settings

ROOT = Path(__file__).resolve().parents[2]


class TestEnvExample:
    def test_every_setting_is_documented(self) -> None:
        text = (ROOT / ".env.example").read_text()
        documented = set(re.findall(r"^#?\s*(SIYU_[A-Z0-9_]+)=", text, flags=re.MULTILINE))
        expected = {f"SIYU_{name.upper()}" for name in Settings.model_fields}
        assert expected - documented == set(), "add these to .env.example"
        assert documented - expected == set(), "these in .env.example are not settings"


class TestProductionGuard:
    def test_placeholder_secret_key_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="SIYU_SECRET_KEY"):
            Settings(_env_file=None, env=Environment.production, secret_key=PLACEHOLDER_SECRET_KEY)  # type: ignore[call-arg]

    def test_short_secret_key_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="at least 32"):
            Settings(_env_file=None, env=Environment.production, secret_key="short")  # type: ignore[call-arg]

    def test_real_secret_boots(self) -> None:
        settings = Settings(_env_file=None, env=Environment.production, secret_key="x" * 48)  # type: ignore[call-arg]
        assert settings.json_logs is True

    def test_development_allows_placeholder(self) -> None:
        assert Settings(_env_file=None).secret_key == PLACEHOLDER_SECRET_KEY  # type: ignore[call-arg]
