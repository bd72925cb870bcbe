"""Reflex configuration. Ports, hosts, the public URL and the state store come from
SocialHub's settings, read exactly as socialhub/config.py reads them: the environment,
then the project's `.env` (which is also exported for Reflex's own REFLEX_* variables)."""

import reflex as rx
from reflex.constants import StateManagerMode

from socialhub.config import export_env_file, get_settings
from socialhub.http_security import allowed_origins

export_env_file()
_settings = get_settings()
_public = _settings.base_url
_redis_state = _settings.reflex_redis_url or None

config = rx.Config(
    app_name="socialhub",
    app_module_import="socialhub.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Single-port mode: the backend serves the built frontend, so both URLs are one. The
    # build bakes this URL into the pages (.web env.json): behind a proxy it is the proxy's
    # (SOCIALHUB_PUBLIC_URL), so every page talks to the proxy, never to one web process.
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
