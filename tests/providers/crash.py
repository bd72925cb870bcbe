"""A stand-in for the job's database that can lose a write, the way a worker killed between
the platform's answer and our save loses it. Saves are deep copies: a real saver serialises."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any


class Crash(RuntimeError):
    """The worker died here."""


class Db:
    def __init__(self, crash: Callable[[dict[str, Any]], bool] | None = None) -> None:
        self.crash = crash  # dies once, on the first save it returns True for
        self.saved: list[dict[str, Any]] = []

    def __call__(self, steps: dict[str, Any]) -> None:
        if self.crash is not None and self.crash(steps):
            self.crash = None
            raise Crash("worker killed before the write")
        self.saved.append(copy.deepcopy(steps))

    @property
    def kept(self) -> dict[str, Any]:
        """What a retry reloads: the last save that made it."""
        return copy.deepcopy(self.saved[-1]) if self.saved else {}
