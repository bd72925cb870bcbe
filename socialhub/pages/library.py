"""/library: the creator's images and videos with their captions."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import empty_state, page_header


@template(route="/library", title="Library")
def library() -> rx.Component:
    return rx.vstack(
        page_header("Library", "Your media and captions, ready to post."),
        empty_state(
            "images",
            "Your content library",
            "Upload images and videos once, keep their captions with them, and reuse them in any "
            "post to any of your connected accounts.",
        ),
        width="100%",
        spacing="0",
    )
