"""What every domain's CLI module needs from the root command."""

from __future__ import annotations

import typer

from siyu.settings import Settings, get_settings


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root command put in `ctx.obj` (directly or on a runtime), else the
    process settings. Tests hand the root command their own settings this way."""
    root = ctx.find_root().obj
    if isinstance(root, Settings):
        return root
    settings = getattr(root, "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()
