"""Drive a provider's resumable publish the way the engine does: a StepPending means "come
back at retry_at with the same steps"; here we wait for it (short) and call again."""

from __future__ import annotations

import time
from typing import Any

from socialhub.providers.base import StepPending, utcnow


def publish(
    provider, creds, request, steps: dict[str, Any] | None = None, save=None, *, max_wait: float = 60
):
    steps = {} if steps is None else steps
    save = save or (lambda s: None)
    deadline = time.monotonic() + max_wait
    while True:
        try:
            return provider.publish(creds, request, steps, save)
        except StepPending as pending:
            if time.monotonic() > deadline:
                raise
            wait = (pending.retry_at - utcnow()).total_seconds() if pending.retry_at else 0.1
            time.sleep(min(max(wait, 0.0), 1.0))
