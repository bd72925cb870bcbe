"""Which `socialhub up` a server belongs to.

The supervisor makes a random instance id per run and hands it to its children in
SOCIALHUB_INSTANCE_ID; the sandbox and the web app add it to every HTTP response as a
header, and the supervisor's health checks accept only their own id. A second copy whose
checks reach the first copy's ports therefore fails loudly instead of printing "running".
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

ENV = "SOCIALHUB_INSTANCE_ID"
HEADER = "x-socialhub-instance"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class InstanceHeader:
    """ASGI middleware: every HTTP response carries the instance id."""

    def __init__(self, app: ASGIApp, instance_id: str) -> None:
        self.app = app
        self.header = (HEADER.encode(), instance_id.encode())

    async def __call__(self, scope: Scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), self.header]}
            await send(message)

        await self.app(scope, receive, send_with_id)


def tag(app: ASGIApp) -> ASGIApp:
    """Wrap an ASGI app when this process runs under a supervisor, else return it as is."""
    instance_id = os.environ.get(ENV)
    return InstanceHeader(app, instance_id) if instance_id else app


def sandbox_app() -> ASGIApp:
    """uvicorn factory for `socialhub sandbox`: the sandbox, tagged with the instance id."""
    from socialhub.sandbox.server import app_from_settings

    return tag(app_from_settings())
