"""Imports every ORM model so `Base.metadata` is complete (Alembic, tests)."""

from siyu.corps import models as corps_models
from siyu.jobs import models as jobs_models

__all__ = ["corps_models", "jobs_models"]
