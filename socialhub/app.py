"""The Reflex app: every page recorded by socialhub.pages."""

import reflex as rx

import socialhub.pages  # noqa: F401  (records the pages)
from socialhub import instance
from socialhub.components.shell import register_pages

# The theme is configured in rxconfig.py (RadixThemesPlugin). Responses carry the
# supervisor's instance id so its health check knows it reached this copy.
app = rx.App(api_transformer=instance.tag)
register_pages(app)
