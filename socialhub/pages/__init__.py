"""Every page module; importing this package records the pages (see components.shell)."""

from socialhub.pages import (  # noqa: F401
    admin,
    auth,
    calendar,
    connections,
    dashboard,
    dashboard_post,
    leaderboard,
    library,
    profile,
    settings,
    tracked,
)
