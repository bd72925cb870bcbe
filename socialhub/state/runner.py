"""The one way a Reflex event handler runs a service or operation.

`await run(fn, ...)` runs it in a thread (the event loop keeps serving every other client),
and turns the errors a creator can act on into one sentence, so state classes never catch
provider or service errors themselves. Anything unexpected is logged with its traceback
and the person gets a plain apology, never the traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from socialhub.providers.errors import ProviderError, RateLimited

log = logging.getLogger(__name__)
T = TypeVar("T")

UNEXPECTED = "Something went wrong on our side. Nothing was lost; please try again."


@dataclass(frozen=True)
class Outcome(Generic[T]):
    value: T | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def _expected_errors() -> tuple[type[BaseException], ...]:
    from socialhub.security import DecryptionError, KeyUnavailable
    from socialhub.services.access import NotYours
    from socialhub.services.connections import ConnectError
    from socialhub.services.library import ItemBusy, ItemNotFound, LibraryInvalid
    from socialhub.services.media import MediaError
    from socialhub.services.media_store import StoreError
    from socialhub.services.publishing import NotAllowed, NotFoundForUser, PostInvalid

    return (
        NotYours,
        ConnectError,
        ProviderError,
        PostInvalid,
        NotAllowed,
        NotFoundForUser,
        LibraryInvalid,
        ItemBusy,
        ItemNotFound,
        MediaError,
        StoreError,
        KeyUnavailable,
        DecryptionError,
    )


def message_for(exc: BaseException) -> str:
    """A creator's sentence for an error a service raised on purpose."""
    if isinstance(exc, RateLimited) and exc.retry_at and "until" not in exc.message:
        return f"{exc.message} Next try after {exc.retry_at:%H:%M} UTC."
    if isinstance(exc, ProviderError):
        return exc.message
    return str(exc)


async def run(fn: Callable[..., T], *args: Any, **kwargs: Any) -> Outcome[T]:
    try:
        return Outcome(value=await asyncio.to_thread(fn, *args, **kwargs))
    except _expected_errors() as exc:
        return Outcome(error=message_for(exc))
    except Exception:
        log.exception("%s failed unexpectedly", getattr(fn, "__qualname__", fn))
        return Outcome(error=UNEXPECTED)
