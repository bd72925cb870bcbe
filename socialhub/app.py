"""The Reflex app: every page recorded by socialhub.pages."""

import reflex as rx

import socialhub.pages  # noqa: F401  (records the pages)
from socialhub import instance
from socialhub.components.shell import register_pages
from socialhub.media_server import create_media_app

# The theme is configured in rxconfig.py (RadixThemesPlugin). Applied in order:
# /media/<token>/<name> serves media to the platforms that pull it by URL (Instagram,
# Facebook, TikTok); responses carry the supervisor's instance id so its health check knows
# it reached this copy.
app = rx.App(api_transformer=[create_media_app(), instance.tag])
register_pages(app)
