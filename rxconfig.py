"""Reflex configuration. Ports and hosts come from SocialHub's settings (env)."""

import os

import reflex as rx

_port = int(os.environ.get("SOCIALHUB_PORT", "3000"))
_host = os.environ.get("SOCIALHUB_HOST", "127.0.0.1")
_public = os.environ.get("SOCIALHUB_PUBLIC_URL", f"http://{_host}:{_port}").rstrip("/")

config = rx.Config(
    app_name="socialhub",
    app_module_import="socialhub.app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Single-port mode: the backend serves the built frontend, so both URLs are one.
    api_url=_public,
    deploy_url=_public,
    backend_port=_port,
    backend_host=_host,
    # Several web workers need shared state: point REFLEX_REDIS_URL at Redis (README).
    redis_url=os.environ.get("REFLEX_REDIS_URL") or None,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(appearance="light", accent_color="violet", gray_color="slate", radius="large")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
