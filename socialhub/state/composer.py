"""The schedule dialog (composer): accounts grouped by platform, a caption for all with
per-platform overrides, live counts, previews and every problem at once, the date and time
in the creator's zone. `mode` "now" is the Library's "Publish now…"; "later" is "Schedule…".
"""

from __future__ import annotations

from datetime import datetime, timedelta

import reflex as rx

from socialhub.config import PLATFORM_LABELS
from socialhub.models import utcnow
from socialhub.services import composer
from socialhub.services.publishing import PostInvalid
from socialhub.state.auth import current_user_id
from socialhub.state.composer_data import (
    PREVIEW_FIT,
    PREVIEW_RULES,
    AccountChoice,
    AccountGroup,
    CountRow,
    Opened,
    PlatformPreview,
    PrivacyOption,
    TikTokChoice,
    _captions,
    _check,
    _open,
    _save_tz,
    _submit,
)
from socialhub.state.library import LibraryState, MediaThumb
from socialhub.state.runner import run

__all__ = ["AccountChoice", "AccountGroup", "ComposerState", "CountRow", "PlatformPreview", "TikTokChoice"]


class ComposerState(rx.State):
    open: bool = False
    mode: str = "later"  # now | later
    item_id: int = 0
    title: str = ""
    media: list[MediaThumb] = []
    groups: list[AccountGroup] = []
    chosen: list[int] = []
    caption: str = ""
    overrides: dict[str, str] = {}
    day: str = ""
    clock: str = ""
    timezone: str = "UTC"
    timezone_error: str = ""
    counts: list[CountRow] = []
    previews: list[PlatformPreview] = []
    problems: list[str] = []
    notes: list[str] = []
    busy: bool = False
    error_message: str = ""
    tiktok: list[TikTokChoice] = []
    privacy: dict[str, str] = {}
    _creators: dict[int, composer.TikTokCreator] = {}

    @rx.var
    def chosen_platforms(self) -> list[str]:
        return [g.platform for g in self.groups if any(a.id in self.chosen for a in g.accounts)]

    @rx.var
    def can_submit(self) -> bool:
        return bool(self.chosen) and not self.problems and not self.busy and not self.timezone_error

    @rx.event
    async def open_for(self, item_id: int, mode: str):
        user_id = await current_user_id(self)
        if user_id is None:
            return
        outcome = await run(_open, user_id, item_id)
        if not outcome.ok:
            library_page = await self.get_state(LibraryState)
            library_page.error_message = outcome.error
            return
        o: Opened = outcome.value
        self.item_id, self.mode, self.title, self.media, self.groups = (
            item_id,
            mode,
            o.title,
            o.media,
            o.groups,
        )
        self.caption, self.overrides, self.chosen, self.timezone = o.caption, {}, [], o.timezone
        self.tiktok, self.privacy, self._creators = [], {}, {}
        self.error_message = self.timezone_error = ""
        self._default_time()
        self.open = True
        yield rx.call_script(
            "Intl.DateTimeFormat().resolvedOptions().timeZone", callback=ComposerState.browser_timezone
        )
        await self._refresh(user_id)

    def _default_time(self) -> None:
        try:
            tz = composer.timezone_or_error(self.timezone)
        except PostInvalid:
            tz = composer.timezone_or_error("UTC")
        local = (utcnow() + timedelta(hours=1)).astimezone(tz).replace(minute=0, second=0, microsecond=0)
        self.day, self.clock = f"{local:%Y-%m-%d}", f"{local:%H:%M}"

    @rx.event
    async def browser_timezone(self, name: str):
        """The profile keeps the zone; the browser's is taken when the profile has none yet."""
        user_id = await current_user_id(self)
        if (
            user_id is None
            or not isinstance(name, str)
            or self.timezone != "UTC"
            or name in ("UTC", "Etc/UTC")
        ):
            return
        outcome = await run(_save_tz, user_id, name)
        if outcome.ok:
            self.timezone = outcome.value
            self._default_time()
            await self._refresh(user_id)

    @rx.event
    def close(self):
        self.open = False

    @rx.event
    def set_open(self, value: bool):
        self.open = value

    def _when(self) -> datetime | None:
        if self.mode == "now":
            return None
        return composer.local_to_utc(self.day, self.clock, self.timezone)

    async def _refresh(self, user_id: int) -> None:
        """Counts and previews from the texts here; problems from the services."""
        problems: list[str] = []
        try:
            when = self._when()
        except PostInvalid as exc:
            when, problems = None, list(exc.problems)
        captions = _captions(self.chosen, self.groups, self.overrides)
        platforms = self.chosen_platforms
        self.counts, self.previews = [], []
        for p in platforms:
            text = self.overrides.get(p, "").strip() and self.overrides[p] or self.caption
            c = composer.count(p, text)
            self.counts.append(CountRow(p, c.label, f"{c.used:,} / {c.limit:,} {c.unit}", c.over))
            self.previews.append(self._preview(p, text))
        creators = list(self._creators.values())
        outcome = await run(
            _check,
            user_id,
            self.item_id,
            self.chosen,
            self.caption,
            captions,
            when,
            creators,
            self._privacy(),
        )
        problems += [
            f"{t.account}: {t.error}" for t in self.tiktok if t.error and t.connection_id in self.chosen
        ]
        self.problems = problems + (outcome.value if outcome.ok else [outcome.error])
        self.notes = composer.scheduling_notes(platforms, when) if when else []

    def _preview(self, platform: str, text: str) -> PlatformPreview:
        aspect, cut = PREVIEW_RULES[platform]
        group = next(g for g in self.groups if g.platform == platform)
        account = next(a for a in group.accounts if a.id in self.chosen)
        shown = text if not cut or len(text) <= cut else text[:cut].rstrip()
        first = self.media[0] if self.media else MediaThumb()
        return PlatformPreview(
            platform=platform,
            label=PLATFORM_LABELS[platform],
            account=account.label,
            avatar_url=account.avatar_url,
            aspect=aspect,
            fit=PREVIEW_FIT.get(platform, "cover"),
            text=shown,
            truncated=shown != text,
            media=first.preview,
            is_video=first.is_video,
            extra_media=max(0, len(self.media) - 1),
        )

    async def _changed(self):
        user_id = await current_user_id(self)
        if user_id is not None:
            await self._refresh(user_id)

    def _privacy(self) -> dict[int, str]:
        return {int(k): v for k, v in self.privacy.items() if v}

    @rx.event
    async def toggle_account(self, connection_id: int, checked: bool):
        if checked and connection_id not in self.chosen:
            self.chosen = [*self.chosen, connection_id]
        elif not checked:
            self.chosen = [c for c in self.chosen if c != connection_id]
        tiktok = next(
            (a for g in self.groups if g.platform == "tiktok" for a in g.accounts if a.id == connection_id),
            None,
        )
        if checked and tiktok is not None and connection_id not in self._creators:
            await self._load_creator(connection_id, tiktok.label)
        self.tiktok_rows()
        await self._changed()

    async def _load_creator(self, connection_id: int, label: str) -> None:
        user_id = await current_user_id(self)
        outcome = await run(composer.tiktok_creator_info, user_id=user_id, connection_id=connection_id)
        if outcome.ok:
            self._creators = {**self._creators, connection_id: outcome.value}
            opts = [PrivacyOption(o, composer.PRIVACY_LABELS.get(o, o)) for o in outcome.value.options]
            row = TikTokChoice(connection_id, "TikTok " + label, opts)
        else:
            row = TikTokChoice(
                connection_id,
                "TikTok " + label,
                [],
                f"its posting options could not be read ({outcome.error})",
            )
        self.tiktok = [t for t in self.tiktok if t.connection_id != connection_id] + [row]

    def tiktok_rows(self) -> None:
        self.tiktok = [
            t for t in self.tiktok if t.connection_id in self.chosen or t.connection_id in self._creators
        ]

    @rx.event
    async def set_privacy(self, connection_id: int, level: str):
        self.privacy = {**self.privacy, str(connection_id): level}
        await self._changed()

    @rx.event
    async def set_caption(self, value: str):
        self.caption = value
        await self._changed()

    @rx.event
    async def set_override(self, platform: str, value: str):
        self.overrides = {**self.overrides, platform: value}
        await self._changed()

    @rx.event
    async def set_day(self, value: str):
        self.day = value
        await self._changed()

    @rx.event
    async def set_clock(self, value: str):
        self.clock = value
        await self._changed()

    @rx.event
    async def set_mode(self, value: str | list[str]):
        self.mode = "now" if value in ("now", ["now"]) else "later"
        await self._changed()

    @rx.event
    async def set_timezone(self, value: str):
        self.timezone = value.strip()
        user_id = await current_user_id(self)
        if user_id is None:
            return
        outcome = await run(_save_tz, user_id, self.timezone)
        self.timezone_error = "" if outcome.ok else outcome.error
        await self._refresh(user_id)

    @rx.event(background=True)
    async def submit(self):
        async with self:
            user_id = await current_user_id(self)
            if user_id is None or self.busy or not self.chosen:
                return
            self.busy, self.error_message = True, ""
            try:
                when = self._when()
            except PostInvalid as exc:
                self.busy, self.problems = False, exc.problems
                return
            args = (
                self.item_id,
                list(self.chosen),
                self.caption,
                _captions(self.chosen, self.groups, self.overrides),
            )
            tz, names = self.timezone, ", ".join(PLATFORM_LABELS[p] for p in self.chosen_platforms)
            privacy = self._privacy()
        outcome = await run(_submit, user_id, *args, when, tz, privacy)
        async with self:
            self.busy = False
            if not outcome.ok:
                self.error_message = outcome.error
                return
            self.open = False
            page = await self.get_state(LibraryState)
            page.notice = (
                f"Publishing now to {names}."
                if when is None
                else f"Scheduled for {self.day} {self.clock} ({tz}) on {names}."
            )
        yield LibraryState.load
