"""What a job handler receives."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from siyu.runtime import Runtime


@dataclass
class JobContext:
    session: Session
    runtime: Runtime
    run_id: uuid.UUID
    attempt: int
    max_attempts: int
    now: datetime

    @property
    def is_last_attempt(self) -> bool:
        """True when a failure now parks the run as dead: the moment to record the failure."""
        return self.attempt >= self.max_attempts
