"""/admin: the health of this SocialHub, for admins only (the state re-checks every event)."""

from __future__ import annotations

import reflex as rx

from socialhub.components.shell import template
from socialhub.components.ui import error_callout, page_header, status_badge
from socialhub.config import PLATFORM_LABELS, PLATFORMS
from socialhub.state import admin_views as v
from socialhub.state.admin import AdminState
from socialhub.state.admin_views import ACTION_LABELS

TAB_LABELS = {
    "system": "System",
    "errors": "Sync errors",
    "quotas": "API quotas",
    "publishing": "Publishing",
    "jobs": "Jobs",
    "connections": "Connections",
    "users": "Users",
}


def _table(headers: list[str], rows, render, empty: str) -> rx.Component:
    return rx.cond(
        rows,
        rx.box(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
                rx.table.body(rx.foreach(rows, render)),
                variant="surface",
                size="1",
                width="100%",
            ),
            overflow_x="auto",
            width="100%",
        ),
        rx.text(empty, color_scheme="gray", size="2"),
    )


def _cell(*children, **props) -> rx.Component:
    return rx.table.cell(*children, **props)


def _small(text) -> rx.Component:
    return rx.text(text, size="1", color_scheme="gray")


# --- system --------------------------------------------------------------------------------


def _system() -> rx.Component:
    return rx.vstack(
        rx.cond(
            AdminState.system_problem != "",
            rx.callout(AdminState.system_problem, icon="triangle_alert", color_scheme="amber", width="100%"),
        ),
        rx.cond(
            AdminState.redis_error != "",
            rx.callout(AdminState.redis_error, icon="triangle_alert", color_scheme="red", width="100%"),
        ),
        rx.flex(
            rx.card(
                rx.vstack(_small("Database"), rx.text(AdminState.database_text, size="2")), flex="1 1 16em"
            ),
            rx.card(rx.vstack(_small("Redis"), rx.text(AdminState.redis_text, size="2")), flex="1 1 16em"),
            wrap="wrap",
            gap="3",
            width="100%",
        ),
        rx.heading("Workers and schedulers", size="3", as_="h2"),
        _table(
            ["Name", "Kind", "Host", "Pid", "State", "Last heartbeat", "Detail"],
            AdminState.pieces,
            lambda p: rx.table.row(
                _cell(p.name),
                _cell(p.kind),
                _cell(p.host),
                _cell(p.pid),
                _cell(
                    rx.cond(
                        p.alive,
                        rx.badge("running", color_scheme="green"),
                        rx.badge("stale: no heartbeat", color_scheme="red"),
                    )
                ),
                _cell(p.last_beat),
                _cell(_small(p.detail)),
            ),
            "No worker or scheduler has ever reported in.",
        ),
        rx.heading("Queues", size="3", as_="h2"),
        _table(
            ["Queue", "Waiting", "Failed", "Scheduled"],
            AdminState.queues,
            lambda q: rx.table.row(_cell(q.name), _cell(q.queued), _cell(q.failed), _cell(q.scheduled)),
            "Queue lengths are unknown while Redis is unreachable.",
        ),
        rx.heading("Periodic jobs: last run", size="3", as_="h2"),
        _table(
            ["Job", "Outcome", "Started", "Error"],
            AdminState.job_runs,
            lambda j: rx.table.row(
                _cell(j.name), _cell(status_badge(j.status)), _cell(j.started), _cell(_small(j.error))
            ),
            "No job has run yet.",
        ),
        spacing="3",
        width="100%",
    )


# --- sync errors ---------------------------------------------------------------------------


def _filter(label: str, field: str, value, options: list[tuple[str, str]]) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=label, aria_label=label),
        rx.select.content(*[rx.select.item(text, value=key) for key, text in options]),
        value=rx.cond(value == "", "any", value),
        on_change=lambda val: AdminState.set_error_filter(field, val),
    )


def _errors() -> rx.Component:
    platforms = [("any", "Every platform")] + [(p, PLATFORM_LABELS[p]) for p in PLATFORMS]
    since = [("any", "Any time"), ("24h", "Last 24 h"), ("7d", "Last 7 days"), ("30d", "Last 30 days")]
    return rx.vstack(
        rx.flex(
            _filter("Platform", "platform", AdminState.error_platform, platforms),
            rx.select.root(
                rx.select.trigger(placeholder="Type", aria_label="Type"),
                rx.select.content(
                    rx.select.item("Every type", value="any"),
                    rx.foreach(AdminState.error_kinds, lambda k: rx.select.item(k, value=k)),
                ),
                value=rx.cond(AdminState.error_kind == "", "any", AdminState.error_kind),
                on_change=lambda val: AdminState.set_error_filter("kind", val),
            ),
            _filter("Time", "since", AdminState.error_since, since),
            rx.checkbox(
                "Show resolved",
                checked=AdminState.show_resolved,
                on_change=lambda c: AdminState.set_error_filter("resolved", rx.cond(c, "yes", "no")),
            ),
            wrap="wrap",
            gap="3",
            align="center",
        ),
        _table(
            ["When", "Platform", "Account", "Owner", "Type", "Platform's message", ""],
            AdminState.errors,
            lambda e: rx.table.row(
                _cell(_small(e.occurred)),
                _cell(e.platform),
                _cell(e.account),
                _cell("@", e.owner),
                _cell(rx.badge(e.kind, variant="soft")),
                _cell(rx.text(e.message, size="1")),
                _cell(
                    rx.cond(
                        e.resolved,
                        rx.badge("resolved", color_scheme="green"),
                        rx.hstack(
                            rx.button(
                                "Resolve", size="1", variant="soft", on_click=AdminState.resolve_error(e.id)
                            ),
                            rx.cond(
                                e.can_retry,
                                rx.button("Retry now", size="1", on_click=AdminState.retry_error(e.id)),
                            ),
                            spacing="1",
                        ),
                    )
                ),
            ),
            "No sync errors match.",
        ),
        spacing="3",
        width="100%",
    )


# --- quotas, publishing, jobs, connections, users ------------------------------------------


def _quotas() -> rx.Component:
    return _table(
        ["Platform", "Account", "Bucket", "Used / limit", "", "Resets", "Blocked until"],
        AdminState.quotas,
        lambda q: rx.table.row(
            _cell(q.platform),
            _cell(q.account),
            _cell(q.bucket),
            _cell(q.used),
            _cell(
                rx.hstack(
                    rx.progress(
                        value=q.percent.to(int),
                        max=100,
                        width="6em",
                        color_scheme=rx.cond(q.warning, "red", "green"),
                    ),
                    rx.text(q.percent_text, size="1"),
                    rx.cond(q.warning, rx.badge("near the limit", color_scheme="red")),
                    align="center",
                    spacing="2",
                )
            ),
            _cell(_small(q.resets)),
            _cell(_small(q.blocked)),
        ),
        "No quota readings yet: they are recorded from the platforms' rate-limit answers.",
    )


def _target_actions(t: v.TargetView) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.foreach(
                t.actions,
                lambda a: rx.cond(
                    a == "confirm",
                    rx.fragment(),
                    rx.button(
                        rx.match(a, *ACTION_LABELS.items(), a),
                        size="1",
                        variant="soft",
                        on_click=AdminState.target_action(t.id, a),
                    ),
                ),
            ),
            spacing="1",
            wrap="wrap",
        ),
        rx.cond(
            t.actions.contains("confirm"),
            rx.form(
                rx.hstack(
                    rx.input(name="url", placeholder="Link of the published post", size="1"),
                    rx.button("Mark published", size="1", type="submit"),
                    spacing="1",
                ),
                on_submit=lambda form: AdminState.confirm_target(t.id, form),
                reset_on_submit=True,
            ),
        ),
        spacing="1",
    )


def _publishing() -> rx.Component:
    statuses = [("any", "Every state")] + [
        (s, s.replace("_", " ")) for s in ("retrying", "unconfirmed", "missed", "failed", "needs_reconnect")
    ]
    return rx.vstack(
        rx.select.root(
            rx.select.trigger(aria_label="State"),
            rx.select.content(*[rx.select.item(t, value=k) for k, t in statuses]),
            value=rx.cond(AdminState.target_status == "", "any", AdminState.target_status),
            on_change=AdminState.set_target_status,
        ),
        _table(
            ["State", "Owner", "Account", "Post", "Reason", "Way out", ""],
            AdminState.targets,
            lambda t: rx.table.row(
                _cell(status_badge(t.status)),
                _cell("@", t.owner),
                _cell(t.platform, ": ", t.account),
                _cell(_small(t.caption)),
                _cell(rx.text(t.reason, size="1")),
                _cell(_small(t.way_out)),
                _cell(_target_actions(t)),
            ),
            "Nothing needs attention: no post is retrying, unconfirmed, missed or failed.",
        ),
        spacing="3",
        width="100%",
    )


def _jobs() -> rx.Component:
    return rx.vstack(
        rx.heading("Failed jobs", size="3", as_="h2"),
        _table(
            ["Job", "Queue", "Error", "Failed at", ""],
            AdminState.failed_jobs,
            lambda j: rx.table.row(
                _cell(rx.text(j.function, size="1"), _small(j.id)),
                _cell(j.queue),
                _cell(rx.text(j.error, size="1")),
                _cell(_small(j.ended)),
                _cell(
                    rx.hstack(
                        rx.button("Retry", size="1", on_click=AdminState.retry_job(j.id)),
                        rx.button(
                            "Delete",
                            size="1",
                            color_scheme="red",
                            variant="soft",
                            on_click=AdminState.delete_job(j.id),
                        ),
                        spacing="1",
                    )
                ),
            ),
            "No failed jobs.",
        ),
        rx.heading("Scheduled jobs", size="3", as_="h2"),
        _table(
            ["Job", "Queue", "Next run", "Repeats"],
            AdminState.scheduled,
            lambda j: rx.table.row(
                _cell(j.function), _cell(j.queue), _cell(j.next_run), _cell(_small(j.repeat))
            ),
            "Nothing scheduled (is the scheduler running?).",
        ),
        spacing="3",
        width="100%",
    )


def _connections() -> rx.Component:
    return _table(
        ["Platform", "Account", "Owner", "State", "Access ends", "Last error"],
        AdminState.connections,
        lambda c: rx.table.row(
            _cell(c.platform),
            _cell(c.account),
            _cell("@", c.owner, _small(c.owner_email)),
            _cell(status_badge(c.status)),
            _cell(_small(c.expires)),
            _cell(rx.text(c.last_error, size="1")),
        ),
        "Every connection is healthy.",
    )


def _users() -> rx.Component:
    return rx.vstack(
        rx.input(
            placeholder="Search by e-mail or handle",
            on_change=AdminState.search_users.debounce(400),
            aria_label="Search users",
            max_width="24em",
        ),
        _table(
            ["User", "E-mail", "Accounts", "Joined", "Role", ""],
            AdminState.users,
            lambda u: rx.table.row(
                _cell(rx.text(u.display_name, size="2"), _small("@" + u.handle)),
                _cell(rx.text(u.email, size="1")),
                _cell(u.connections),
                _cell(_small(u.joined)),
                _cell(
                    rx.hstack(
                        rx.cond(u.is_admin, rx.badge("admin")),
                        rx.cond(u.is_disabled, rx.badge("disabled", color_scheme="red")),
                        rx.cond(u.public, rx.badge("public", color_scheme="green", variant="soft")),
                        spacing="1",
                    )
                ),
                _cell(
                    rx.hstack(
                        rx.cond(
                            u.is_admin,
                            rx.button(
                                "Remove admin",
                                size="1",
                                variant="soft",
                                on_click=AdminState.set_admin(u.id, False),
                            ),
                            rx.button(
                                "Make admin",
                                size="1",
                                variant="soft",
                                on_click=AdminState.set_admin(u.id, True),
                            ),
                        ),
                        rx.cond(
                            u.is_disabled,
                            rx.button("Enable", size="1", on_click=AdminState.set_disabled(u.id, False)),
                            rx.button(
                                "Disable",
                                size="1",
                                color_scheme="red",
                                variant="soft",
                                on_click=AdminState.set_disabled(u.id, True),
                            ),
                        ),
                        spacing="1",
                    )
                ),
            ),
            "No users match.",
        ),
        spacing="3",
        width="100%",
    )


SECTIONS = {
    "system": _system,
    "errors": _errors,
    "quotas": _quotas,
    "publishing": _publishing,
    "jobs": _jobs,
    "connections": _connections,
    "users": _users,
}


def _not_allowed() -> rx.Component:
    return rx.callout(
        "Not allowed: this page is for admins only.", icon="shield", color_scheme="red", role="alert"
    )


@template(route="/admin", title="Admin", on_load=AdminState.load, admin_only=True)
def admin() -> rx.Component:
    return rx.vstack(
        page_header("Admin", "The health of this SocialHub."),
        rx.cond(
            AdminState.refused,
            _not_allowed(),
            rx.vstack(
                rx.tabs.root(
                    rx.tabs.list(
                        *[rx.tabs.trigger(label, value=key) for key, label in TAB_LABELS.items()], wrap="wrap"
                    ),
                    value=AdminState.tab,
                    on_change=AdminState.set_tab,
                    width="100%",
                ),
                rx.cond(
                    AdminState.message != "",
                    rx.callout(AdminState.message, icon="check", color_scheme="green", width="100%"),
                ),
                error_callout(AdminState.error_message),
                rx.match(AdminState.tab, *[(key, fn()) for key, fn in SECTIONS.items()], rx.fragment()),
                spacing="4",
                width="100%",
            ),
        ),
        width="100%",
        spacing="0",
    )
