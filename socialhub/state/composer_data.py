"""Composer view data and the helpers the schedule dialog runs in a thread: accounts by
platform, previews' frames and cuts, checks and the submit (commit, then queue)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import select

from socialhub.config import PLATFORM_LABELS, PLATFORMS
from socialhub.db import session_scope
from socialhub.models import Connection, User
from socialhub.services import composer, library, publishing
from socialhub.state.connections import account_label
from socialhub.state.library import MediaThumb, card_for

log = logging.getLogger(__name__)

# How each platform shows a post: the media frame and where the caption is cut ("… more").
PREVIEW_RULES = {
    "instagram": ("4 / 5", 125),
    "facebook": ("1 / 1", 480),
    "tiktok": ("9 / 16", 100),
    "youtube": ("16 / 9", 100),  # the player letterboxes rather than crops (see PREVIEW_FIT)
    "linkedin": ("1.91 / 1", 210),
    "x": ("16 / 9", 0),  # X shows the whole post
}


# YouTube's player shows the whole frame on black; the others fill their frame and crop.
PREVIEW_FIT = {"youtube": "contain"}


@dataclass
class AccountChoice:
    id: int = 0
    label: str = ""
    avatar_url: str = ""
    usable: bool = True


@dataclass
class AccountGroup:
    platform: str = ""
    label: str = ""
    accounts: list[AccountChoice] = field(default_factory=list)


@dataclass
class CountRow:
    platform: str = ""
    label: str = ""
    text: str = ""
    over: bool = False


@dataclass
class PlatformPreview:
    platform: str = ""
    label: str = ""
    account: str = ""
    avatar_url: str = ""
    aspect: str = "1 / 1"
    fit: str = "cover"
    text: str = ""
    truncated: bool = False
    media: str = ""
    is_video: bool = False
    extra_media: int = 0


@dataclass
class PrivacyOption:
    value: str = ""
    label: str = ""


@dataclass
class TikTokChoice:
    connection_id: int = 0
    account: str = ""
    options: list[PrivacyOption] = field(default_factory=list)
    error: str = ""


@dataclass
class Opened:
    title: str
    caption: str
    media: list[MediaThumb]
    groups: list[AccountGroup]
    timezone: str


def _open(user_id: int, item_id: int) -> Opened:
    with session_scope() as s:
        card = card_for(library.get_item(s, user_id=user_id, item_id=item_id))
        conns = s.exec(
            select(Connection)
            .where(Connection.user_id == user_id)
            .order_by(Connection.platform, Connection.id)
        ).all()
        groups = []
        for p in PLATFORMS:
            accounts = [
                AccountChoice(
                    c.id,
                    account_label(c.platform, c.username, c.display_name),
                    c.avatar_url or "",
                    c.status not in ("revoked", "expired"),
                )
                for c in conns
                if c.platform == p
            ]
            if accounts:
                groups.append(AccountGroup(p, PLATFORM_LABELS[p], accounts))
        tz = s.get(User, user_id).timezone
        return Opened(card.title, card.caption, card.media, groups, tz)


def _captions(chosen: list[int], groups: list[AccountGroup], overrides: dict[str, str]) -> dict[int, str]:
    platform_of = {a.id: g.platform for g in groups for a in g.accounts}
    return {
        cid: overrides[platform_of[cid]]
        for cid in chosen
        if overrides.get(platform_of.get(cid, ""), "").strip()
    }


def _check(
    user_id: int,
    item_id: int,
    chosen: list[int],
    caption: str,
    captions: dict[int, str],
    when,
    tiktok=(),
    privacy=None,
) -> list[str]:
    with session_scope() as s:
        found = composer.problems(
            s,
            user_id=user_id,
            item_id=item_id,
            connection_ids=chosen,
            caption=caption,
            captions=captions,
            when=when,
        )
        creators = [c for c in tiktok if c.connection_id in chosen]
        return found + composer.tiktok_problems(
            s, item_id=item_id, user_id=user_id, creators=creators, privacy=privacy or {}
        )


def _submit(user_id: int, item_id: int, chosen, caption, captions, when, tz, privacy=None) -> int:
    with session_scope() as s:
        for cid, level in (privacy or {}).items():
            if cid in chosen:
                composer.save_tiktok_privacy(s, user_id=user_id, connection_id=cid, level=level)
        post = composer.schedule(
            s, user_id=user_id, item_id=item_id, connection_ids=chosen,
            caption=caption, captions=captions, when=when, timezone=tz,
        )  # fmt: skip
        post_id = post.id
    with session_scope() as s:  # after the commit: a job never runs before its rows exist
        try:
            publishing.enqueue_post(s, post_id)
        except Exception:  # noqa: BLE001  (Redis down: the every-minute dispatcher finds it)
            log.warning("post %s stored; queue unreachable, the dispatcher will pick it up", post_id)
    return post_id


def _save_tz(user_id: int, tz: str) -> str:
    with session_scope() as s:
        return composer.save_timezone(s, user_id=user_id, timezone=tz)
