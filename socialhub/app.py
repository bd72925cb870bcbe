"""The Reflex app: every page recorded by socialhub.pages."""

import reflex as rx

import socialhub.pages  # noqa: F401  (records the pages)
from socialhub.components.shell import register_pages
from socialhub.media_server import create_media_app

# The theme is configured in rxconfig.py (RadixThemesPlugin). /media/<token>/<name> serves
# media to the platforms that pull it by URL (Instagram, Facebook, TikTok).
app = rx.App(api_transformer=create_media_app())
register_pages(app)
