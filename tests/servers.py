"""Real servers for tests: the sandbox over HTTP on a free loopback port."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThreadedServer:
    """Runs an ASGI app with uvicorn in a background thread until stop()."""

    def __init__(self, app, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                httpx.get(self.url + "/health", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class SandboxHandle:
    """A running sandbox plus a client for its control API."""

    ADMIN_TOKEN = "test-sandbox-admin-token"
    # The SocialHub installs the tests pretend to be: the built-in apps have their
    # <base>/oauth/<platform>/callback registered (loopback callbacks are accepted anyway).
    APP_URLS = ("https://app.example.com", "https://socialhub.example")

    def __init__(self, db_path: Path, seed: int = 42) -> None:
        from socialhub.sandbox.server import create_app

        self.app = create_app(db_path, admin_token=self.ADMIN_TOKEN, seed=seed, app_urls=list(self.APP_URLS))
        self.sandbox = self.app.state.sandbox
        self.server = ThreadedServer(self.app).start()
        self.url = self.server.url
        self.control = httpx.Client(
            base_url=self.url + "/_sandbox",
            headers={"Authorization": f"Bearer {self.ADMIN_TOKEN}"},
            timeout=30,
        )

    def platform_url(self, host: str, path: str = "") -> str:
        return f"{self.url}/{host}{path}"

    def mint(
        self, platform: str, account_id: str, scopes: list[str] | None = None, client_id: str | None = None
    ) -> dict:
        body = {"platform": platform, "account_id": account_id}
        if scopes is not None:
            body["scopes"] = scopes
        if client_id is not None:
            body["client_id"] = client_id
        resp = self.control.post("/tokens", json=body)
        resp.raise_for_status()
        return resp.json()

    def fault(self, platform: str, error: str | None = None, **kw) -> None:
        self.control.post("/faults", json={"platform": platform, "error": error, **kw}).raise_for_status()

    def clear_faults(self) -> None:
        self.control.request("DELETE", "/faults", json={}).raise_for_status()

    def advance(self, seconds: float) -> None:
        self.control.post("/clock", json={"advance_seconds": seconds}).raise_for_status()

    def counters(self) -> dict[str, int]:
        return self.control.get("/counters").json()

    def set_config(self, **changes) -> None:
        self.control.post("/config", json=changes).raise_for_status()

    def accounts(self, platform: str) -> list[dict]:
        return self.control.get("/accounts").json()[platform]

    def close(self) -> None:
        self.control.close()
        self.server.stop()


def process_env(**extra: str) -> dict[str, str]:
    """The environment for a `socialhub worker/scheduler/web` a test starts on its own: what
    an operator gives such a process, the same SOCIALHUB_ENCRYPTION_KEYS as everyone else
    (here, the keys the test process itself uses; see startup.require_explicit_keys)."""
    import os

    from socialhub import security

    keys = ",".join(k.decode() for k in security.load_keys())
    return {**os.environ, "SOCIALHUB_ENCRYPTION_KEYS": keys, **extra}
