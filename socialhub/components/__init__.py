"""Reusable UI pieces and the app shell."""

from socialhub.components.shell import PAGES, register_pages, shell, standalone, template
from socialhub.components.ui import (
    empty_state,
    error_callout,
    loading_screen,
    page_header,
    status_badge,
    wordmark,
)

__all__ = [
    "PAGES",
    "empty_state",
    "error_callout",
    "loading_screen",
    "page_header",
    "register_pages",
    "shell",
    "standalone",
    "status_badge",
    "template",
    "wordmark",
]
