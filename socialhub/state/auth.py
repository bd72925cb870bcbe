"""Who is logged in, and the sign-up / log-in / log-out events.

The browser keeps one opaque session token in localStorage (`socialhub_session`); the
server keeps only its digest (services.users). Everything else about the user lives in
backend-only vars (`_user_id`, ...) and reaches the browser through computed vars holding
exactly what the shell shows. Other states ask for the user with `current_user_id(self)`
or `current_viewer(self)`, which re-check the token against the database every time, so a
session ended elsewhere (another tab, expiry, an admin) stops working at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import reflex as rx

from socialhub.db import session_scope
from socialhub.services import users
from socialhub.services.users import UserError

log = logging.getLogger(__name__)

SESSION_STORAGE_KEY = "socialhub_session"
HOME_ROUTE = "/dashboard"
LOGIN_ROUTE = "/login"
SIGNUP_ROUTE = "/signup"
_AUTH_ROUTES = (LOGIN_ROUTE, SIGNUP_ROUTE)
_UNEXPECTED = "Something went wrong on our side. Please try again."


@dataclass(frozen=True)
class Viewer:
    """The logged-in user as other states need it (never the ORM row, never the hash)."""

    id: int
    display_name: str
    handle: str
    is_admin: bool


# Browsers drop tabs and newlines from URLs and read "\\" as "/": "/\t/evil.example" is
# "//evil.example", another site. Such characters never belong in a path we redirect to.
_URL_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")


def _safe_next(target: object) -> str:
    """Only same-origin paths may follow a login; anything else goes to the dashboard."""
    if not isinstance(target, str) or not target:
        return HOME_ROUTE
    target = _URL_CONTROL.sub("", target).replace("\\", "/")  # then judge it as a browser would
    try:
        parts = urlsplit(target)
    except ValueError:  # e.g. "//[": an unbalanced IPv6 host
        return HOME_ROUTE
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return HOME_ROUTE
    if parts.path.rstrip("/") in _AUTH_ROUTES or parts.path == "/":
        return HOME_ROUTE
    return target


def _form_text(form_data: object, key: str) -> str:
    """One field of a submitted form as text; whatever else arrives becomes ""."""
    value = form_data.get(key, "") if isinstance(form_data, dict) else ""
    return value if isinstance(value, str) else ""


# Blocking work (Argon2, database) runs in a thread so the event loop keeps serving others.


def _viewer_for_token(token: str) -> Viewer | None:
    with session_scope() as session:
        user = users.user_for_session(session, token)
        if user is None:
            return None
        return Viewer(user.id, user.display_name, user.handle, user.is_admin)


def _log_in_blocking(email: str, password: str, client: str = "") -> tuple[str, Viewer]:
    # One session per attempt, as in every event: a failure rolls it back, and the
    # throttle's record of the attempt survives because it is committed on its own.
    with session_scope() as session:
        user = users.authenticate(session, email, password, client=client)
        token = users.create_session(session, user)
        return token, Viewer(user.id, user.display_name, user.handle, user.is_admin)


def _sign_up_blocking(email: str, password: str, display_name: str) -> tuple[str, Viewer]:
    with session_scope() as session:
        user = users.create_user(session, email=email, password=password, display_name=display_name)
        token = users.create_session(session, user)
        return token, Viewer(user.id, user.display_name, user.handle, user.is_admin)


def _end_session_blocking(token: str) -> None:
    with session_scope() as session:
        users.end_session(session, token)


@dataclass(frozen=True)
class Outcome:
    """What a log-in or sign-up submission comes to: a session, or a message for the person
    (never a traceback: anything unexpected is logged and answered with _UNEXPECTED)."""

    token: str = ""
    viewer: Viewer | None = None
    message: str = ""


def _outcome(what: str, fn, *args) -> Outcome:
    try:
        token, viewer = fn(*args)
    except UserError as exc:  # InvalidCredentials, Throttled, validation: text for the person
        return Outcome(message=str(exc))
    except Exception:
        log.exception("%s failed unexpectedly", what)
        return Outcome(message=_UNEXPECTED)
    return Outcome(token=token, viewer=viewer)


def log_in_outcome(form_data: object, client: str = "") -> Outcome:
    """The log-in form as the event handler submits it (blocking: run it in a thread)."""
    email = _form_text(form_data, "email")
    password = _form_text(form_data, "password")
    if not email.strip() or not password:
        return Outcome(message="Enter your email and password.")
    return _outcome("login", _log_in_blocking, email, password, client)


def sign_up_outcome(form_data: object) -> Outcome:
    """The sign-up form as the event handler submits it (blocking: run it in a thread)."""
    fields = (_form_text(form_data, k) for k in ("email", "password", "display_name"))
    return _outcome("sign-up", _sign_up_blocking, *fields)


class AuthState(rx.State):
    """The session token, the current user's public face, and the auth events."""

    # The browser's own bearer token: it has to live client-side; nothing else does.
    session_token: str = rx.LocalStorage(name=SESSION_STORAGE_KEY)

    _user_id: int | None = None
    _display_name: str = ""
    _handle: str = ""
    _is_admin: bool = False

    # True once the token has been checked for this tab (avoids flashing "Log in").
    auth_checked: bool = False
    loading: bool = False
    error_message: str = ""

    # --- what the UI shows -------------------------------------------------------------

    @rx.var
    def is_logged_in(self) -> bool:
        return self._user_id is not None

    @rx.var
    def display_name(self) -> str:
        return self._display_name

    @rx.var
    def handle(self) -> str:
        return self._handle

    @rx.var
    def is_admin(self) -> bool:
        return self._user_id is not None and self._is_admin

    @rx.var
    def initials(self) -> str:
        parts = self._display_name.split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    # --- helpers the client cannot call (underscore: not event handlers) ----------------

    def _set_viewer(self, viewer: Viewer | None) -> None:
        self._user_id = viewer.id if viewer else None
        self._display_name = viewer.display_name if viewer else ""
        self._handle = viewer.handle if viewer else ""
        self._is_admin = viewer.is_admin if viewer else False
        self.auth_checked = True

    async def _current_viewer(self) -> Viewer | None:
        """Re-check the token against the database and refresh what the UI shows."""
        viewer = (
            await asyncio.to_thread(_viewer_for_token, self.session_token) if self.session_token else None
        )
        if viewer is None and self.session_token:
            self.session_token = ""  # expired or ended elsewhere: forget it in the browser too
        if viewer != self._cached_viewer():
            self._set_viewer(viewer)
        elif not self.auth_checked:
            self.auth_checked = True
        return viewer

    def _cached_viewer(self) -> Viewer | None:
        if self._user_id is None:
            return None
        return Viewer(self._user_id, self._display_name, self._handle, self._is_admin)

    def _start(self, token: str, viewer: Viewer) -> None:
        self.session_token = token
        self._set_viewer(viewer)

    def _after_login_path(self) -> str:
        return _safe_next(self.router.url.query_parameters.get("next"))

    def _here(self) -> str:
        url = self.router.url
        return f"{url.path}?{url.query}" if url.query else url.path

    # --- on_load guards ----------------------------------------------------------------

    @rx.event
    async def check_login(self):
        """Private pages: send a visitor without a valid session to the login page."""
        if await self._current_viewer() is None:
            return rx.redirect(f"{LOGIN_ROUTE}?next={quote(self._here(), safe='/')}", replace=True)
        return None

    @rx.event
    async def load_viewer(self):
        """Public pages: learn who is looking, if anyone, without redirecting."""
        await self._current_viewer()

    @rx.event
    async def redirect_if_logged_in(self):
        """Login and sign-up pages: a logged-in visitor goes straight on."""
        self.error_message = ""
        self.loading = False
        if await self._current_viewer() is not None:
            return rx.redirect(self._after_login_path(), replace=True)
        return None

    @rx.event
    async def route_index(self):
        """`/`: the dashboard for a logged-in user, the login page for anyone else."""
        viewer = await self._current_viewer()
        return rx.redirect(HOME_ROUTE if viewer else LOGIN_ROUTE, replace=True)

    # --- actions -----------------------------------------------------------------------

    @rx.event
    async def log_in(self, form_data: dict):
        self.error_message = ""
        self.loading = True
        yield
        try:
            outcome = await asyncio.to_thread(log_in_outcome, form_data, self.router.session.client_ip)
        finally:
            self.loading = False
        if outcome.viewer is None:
            self.error_message = outcome.message
            return
        self._start(outcome.token, outcome.viewer)
        yield rx.redirect(self._after_login_path(), replace=True)

    @rx.event
    async def sign_up(self, form_data: dict):
        self.error_message = ""
        self.loading = True
        yield
        try:
            outcome = await asyncio.to_thread(sign_up_outcome, form_data)
        finally:
            self.loading = False
        if outcome.viewer is None:
            self.error_message = outcome.message
            return
        self._start(outcome.token, outcome.viewer)
        yield rx.redirect(self._after_login_path(), replace=True)
        yield rx.toast.success(f"Welcome to SocialHub, {outcome.viewer.display_name}!")

    @rx.event
    async def log_out(self):
        token = self.session_token
        self.session_token = ""
        self._set_viewer(None)
        if token:
            await asyncio.to_thread(_end_session_blocking, token)
        return rx.redirect(LOGIN_ROUTE, replace=True)


async def current_viewer(state: rx.State) -> Viewer | None:
    """The logged-in user for any state's event handler, checked against the database."""
    auth = await state.get_state(AuthState)
    return await auth._current_viewer()


async def current_user_id(state: rx.State) -> int | None:
    """The logged-in user's id, or None: call it first in every handler touching user data."""
    viewer = await current_viewer(state)
    return viewer.id if viewer else None
