"""Reflex configuration. Ports, hosts and origins come from SocialHub's settings (env)."""

import os

import reflex as rx
from reflex.constants import StateManagerMode

from socialhub.config import get_settings
from socialhub.http_security import allowed_origins

_settings = get_settings()
_public = _settings.base_url
_redis_state = os.environ.get("REFLEX_REDIS_URL") or None

config = rx.Config(
    app_name="socialhub",
    app_module_import="socialhub.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Single-port mode: the backend serves the built frontend, so both URLs are one.
    api_url=_public,
    deploy_url=_public,
    backend_port=_settings.port,
    backend_host=_settings.host,
    # Only the app's own pages may call the backend with the browser's credentials; the
    # websocket refuses other origins too (cross-site websocket hijacking).
    cors_allowed_origins=allowed_origins(_settings),
    # Reflex state holds each tab's session token. The disk manager (Reflex's default)
    # wrote it in plain text under .states/ for every local user to read: keep it in memory
    # for the single web process, or in Redis (with a password) when several web workers
    # share state: set REFLEX_REDIS_URL (README).
    redis_url=_redis_state,
    state_manager_mode=StateManagerMode.REDIS if _redis_state else StateManagerMode.MEMORY,
    # Pages are served pre-compressed; the CSP middleware hashes their inline scripts and
    # reads gzip (socialhub/http_security.py), so keep the build to gzip.
    frontend_compression_formats=["gzip"],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="violet", gray_color="slate", radius="large")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
