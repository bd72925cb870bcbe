"""Seeded Facebook people, their Pages and the Instagram business accounts linked to them."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from socialhub.sandbox.core import Sandbox, iso
from socialhub.sandbox.platforms.meta.instagram import make_shortcode
from socialhub.sandbox.platforms.meta.page_publish import make_pfbid

# (user id, name, username, [(page id, page name, username, category, followers, per day, posts,
#   (ig id, ig username, ig name, followers, per day, posts, views scale) | None)])
PEOPLE: list[tuple[str, str, str, list[tuple[Any, ...]]]] = [
    (
        "100087654321001",
        "Maya Lopez",
        "maya.lopez",
        [
            (
                "108234567890101",
                "Maya Bakes",
                "mayabakes",
                "Bakery",
                31800,
                22.0,
                60,
                ("17841400000000101", "maya.bakes", "Maya Bakes", 52300, 40.0, 64, 9000),
            ),
            (
                "108234567890102",
                "Maya Travel Notes",
                "mayatravelnotes",
                "Travel Company",
                2400,
                2.0,
                20,
                None,
            ),
        ],
    ),
    (
        "100087654321002",
        "Sam Okafor",
        "sam.okafor",
        [
            (
                "108234567890201",
                "Okafor Fitness",
                "okaforfitness",
                "Fitness Trainer",
                8800,
                9.0,
                30,
                ("17841400000000201", "okafor.fit", "Sam | Okafor Fitness", 12400, 14.0, 36, 3000),
            ),
        ],
    ),
    (
        "100087654321003",
        "Lena Fischer",
        "lena.fischer",
        [
            (
                "108234567890301",
                "Lena Studio",
                "lenastudio",
                "Artist",
                1500,
                1.5,
                24,
                ("17841400000000301", "lena.studio", "Lena Studio", 2100, 3.0, 30, 900),
            ),
            (
                "108234567890302",
                "Lena Prints",
                "lenaprints",
                "Shopping & Retail",
                260,
                0.4,
                10,
                ("17841400000000302", "lena.prints", "Lena Prints", 480, 1.0, 12, 250),
            ),
        ],
    ),
]

CAPTIONS = [
    "New batch out of the oven",
    "Behind the scenes today",
    "Weekend plans",
    "Quick tip you asked for",
    "Thank you for 10k!",
    "Morning routine",
    "Studio update",
    "Something new is coming",
    "Q&A answers",
    "Favourite moment of the week",
    "Trying a new recipe",
    "Client project reveal",
]


def seed(sb: Sandbox) -> None:
    created = iso(sb.now() - timedelta(days=420))
    order = 0
    for u_order, (uid, name, username, pages) in enumerate(PEOPLE):
        sb.store.put(
            "meta_users",
            uid,
            {
                "id": uid,
                "name": name,
                "username": username,
                "order": u_order,
                "pages": [p[0] for p in pages],
                "picture_url": f"https://sandbox.socialhub.local/avatars/{username}.jpg",
            },
        )
        for pid, pname, puser, category, fb_followers, fb_rate, fb_posts, ig in pages:
            order += 1
            sb.add_account(
                "facebook",
                pid,
                kind="page",
                username=puser,
                display_name=pname,
                name=pname,
                category=category,
                category_id=str(2200 + order),
                owner=uid,
                order=order,
                followers_base=fb_followers,
                followers_per_day=fb_rate,
                created_at=created,
                about=f"{pname} on Facebook (sandbox).",
                instagram_business_account=ig[0] if ig else None,
                picture_url=f"https://sandbox.socialhub.local/pages/{puser}.jpg",
            )
            sb.seed_history(
                "facebook",
                pid,
                count=fb_posts,
                make=_fb_maker(sb, pid, puser),
                views_scale=max(100, fb_followers / 6),
            )
            if ig is None:
                continue
            ig_id, ig_user, ig_name, ig_followers, ig_rate, ig_posts, scale = ig
            sb.add_account(
                "instagram",
                ig_id,
                kind="business",
                username=ig_user,
                display_name=ig_name,
                name=ig_name,
                page_id=pid,
                order=order,
                followers_base=ig_followers,
                followers_per_day=ig_rate,
                follows_count=150 + order * 37,
                created_at=created,
                ig_id=str(3_000_000_000 + order),
                biography=f"{ig_name} — sandbox account",
                website=f"https://{ig_user.replace('.', '')}.example",
                profile_picture_url=f"https://sandbox.socialhub.local/ig/{ig_user}.jpg",
            )
            sb.seed_history("instagram", ig_id, count=ig_posts, make=_ig_maker(ig_id), views_scale=scale)


def _ig_maker(ig_id: str):
    def make(i: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
        media_id = f"179{rng.randrange(10**13, 10**14)}"
        roll = rng.random()
        media_type, product = (
            ("VIDEO", "REELS")
            if roll < 0.35
            else (("CAROUSEL_ALBUM", "FEED") if roll < 0.5 else ("IMAGE", "FEED"))
        )
        children = []
        if media_type == "CAROUSEL_ALBUM":
            children = [
                {
                    "id": f"179{rng.randrange(10**13, 10**14)}",
                    "media_type": "IMAGE",
                    "media_url": f"https://sandbox.socialhub.local/media/{ig_id}/{i}_{c}.jpg",
                }
                for c in range(3)
            ]
        return media_id, {
            "caption": f"{rng.choice(CAPTIONS)} #{i}",
            "media_type": media_type,
            "media_product_type": product,
            "shortcode": make_shortcode(rng),
            "children": children,
            "media_url": f"https://sandbox.socialhub.local/media/{ig_id}/{i}.{'mp4' if media_type == 'VIDEO' else 'jpg'}",
        }

    return make


def _fb_maker(sb: Sandbox, page_id: str, username: str):
    def make(i: int, rng: random.Random) -> tuple[str, dict[str, Any]]:
        post_id = f"{page_id}_{rng.randrange(10**15, 10**16)}"
        pfbid = make_pfbid(rng)
        kind = rng.choice(
            ["mobile_status_update", "added_photos", "added_photos", "added_video", "shared_story"]
        )
        return post_id, {
            "message": f"{rng.choice(CAPTIONS)} ({i})",
            "status_type": kind,
            "pfbid": pfbid,
            "permalink_url": f"https://www.facebook.com/{username}/posts/{pfbid}",
            "scheduled": False,
            "hidden": False,
        }

    return make
