"""The Reflex app: every page recorded by socialhub.pages."""

import reflex as rx

import socialhub.pages  # noqa: F401  (records the pages)
from socialhub.components.shell import register_pages

# The theme is configured in rxconfig.py (RadixThemesPlugin).
app = rx.App()
register_pages(app)
