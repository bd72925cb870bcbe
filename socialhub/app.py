"""The Reflex app: every page recorded by socialhub.pages, security headers, start-up checks."""

import functools
import logging

import reflex as rx

import socialhub.pages  # noqa: F401  (records the pages)
from socialhub import instance
from socialhub.components.shell import register_pages
from socialhub.config import get_settings
from socialhub.http_security import SecurityHeaders, allowed_origins
from socialhub.media_server import create_media_app
from socialhub.services.startup import StartupRefused, check_startup

log = logging.getLogger("socialhub.web")


def _startup_checks() -> None:
    """Run at backend start (also under plain `reflex run`): refuse to serve on a missing or
    wrong key, tighten file modes, drop stale on-disk session state."""
    try:
        warnings = check_startup(get_settings())
    except StartupRefused as exc:
        log.error("SocialHub cannot start: %s", exc)
        raise
    for warning in warnings:
        log.warning("%s", warning)


# The theme is configured in rxconfig.py (RadixThemesPlugin). Transformers apply in order:
# /media/<token>/<name> serves media to the platforms that pull it by URL (Instagram,
# Facebook, TikTok); every response carries the supervisor's instance id (its health check
# knows it reached this copy) and the security headers (CSP, frame and CORS rules).
app = rx.App(
    api_transformer=[
        create_media_app(),
        instance.tag,
        functools.partial(SecurityHeaders, origins=allowed_origins(get_settings())),
    ],
)
app.register_lifespan_task(_startup_checks)
register_pages(app)
