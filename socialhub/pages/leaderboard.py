"""/leaderboard: public ranking of creators who opt in."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import empty_state, page_header


@template(route="/leaderboard", title="Leaderboard", public=True)
def leaderboard() -> rx.Component:
    return rx.vstack(
        page_header("Leaderboard", "Creators on this SocialHub, ranked. Open to everyone."),
        empty_state(
            "trophy",
            "The creator leaderboard",
            "Creators who opt in will be ranked here by audience and engagement growth. "
            "Anyone can view it, no account needed.",
        ),
        width="100%",
        spacing="0",
    )
