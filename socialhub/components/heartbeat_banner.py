"""A warning at the top of a page when the worker or scheduler has no fresh heartbeat."""

from __future__ import annotations

import reflex as rx

from socialhub.state.heartbeat import HeartbeatState


def heartbeat_banner() -> rx.Component:
    return rx.cond(
        HeartbeatState.problem != "",
        rx.callout(
            HeartbeatState.problem,
            icon="clock_alert",
            color_scheme="amber",
            role="status",
            aria_label="Background work",
            width="100%",
            margin_bottom="4",
        ),
    )
