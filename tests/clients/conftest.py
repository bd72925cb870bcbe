"""Third-party client libraries against the sandbox, unchanged except for where they send.

Each library is pointed at the sandbox the way its own documentation allows: a base-URL
setting where it has one (facebook-business `FacebookSession.GRAPH`, google-api-python-client
`client_options.api_endpoint`), else a requests transport adapter mounted on the library's own
`requests.Session` that sends `https://<host>/<path>` to `<sandbox>/<host>/<path>` (the
sandbox's host prefixes). No library code is patched.
"""

from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter


class SandboxAdapter(HTTPAdapter):
    """Sends every request for a real host to the sandbox's prefix for that host."""

    def __init__(self, sandbox_url: str) -> None:
        super().__init__()
        self.sandbox_url = sandbox_url.rstrip("/")

    def send(self, request, *args, **kwargs):
        scheme, _, rest = request.url.partition("://")
        assert scheme == "https", request.url
        request.url = f"{self.sandbox_url}/{rest}"
        return super().send(request, *args, **kwargs)


def route_to_sandbox(session: requests.Session, sandbox_url: str, *hosts: str) -> requests.Session:
    adapter = SandboxAdapter(sandbox_url)
    for host in hosts:
        session.mount(f"https://{host}/", adapter)
    return session
