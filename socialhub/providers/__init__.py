"""Provider registry: one module per platform behind socialhub.providers.base.Provider."""

from __future__ import annotations

import importlib

from socialhub.config import PLATFORMS, Settings, get_settings, sandbox_app_credentials
from socialhub.providers.base import InvalidPostUrl, PostRef, Provider, QuotaSink

_CLASSES = {
    "instagram": ("instagram", "InstagramProvider"),
    "facebook": ("facebook", "FacebookProvider"),
    "tiktok": ("tiktok", "TikTokProvider"),
    "youtube": ("youtube", "YouTubeProvider"),
    "linkedin": ("linkedin", "LinkedInProvider"),
    "x": ("x", "XProvider"),
}


def provider_class(platform: str) -> type[Provider]:
    if platform not in _CLASSES:
        raise ValueError(f"unknown platform {platform!r}")
    module_name, class_name = _CLASSES[platform]
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, class_name)


def get_provider(
    platform: str,
    settings: Settings | None = None,
    *,
    quota_sink: QuotaSink | None = None,
    **kwargs,
) -> Provider:
    """The provider for a platform: real hosts with real keys, else the sandbox."""
    settings = settings or get_settings()
    creds = settings.platform_credentials(platform)
    cls = provider_class(platform)
    if creds is None:
        client_id, client_secret = sandbox_app_credentials(platform)
        base_url = settings.sandbox_base_url
    else:
        client_id, client_secret = creds
        base_url = None
    if platform in {"instagram", "facebook"}:
        kwargs.setdefault("graph_version", settings.graph_version)
    elif platform == "linkedin":
        kwargs.setdefault("api_version", settings.linkedin_version)
    return cls(
        client_id=client_id,
        client_secret=client_secret,
        base_url=base_url,
        timeout=settings.http_timeout_seconds,
        quota_sink=quota_sink,
        **kwargs,
    )


def parse_any_post_url(url: str) -> PostRef:
    """Try every platform's URL parser; say clearly when none recognises the URL."""
    url = (url or "").strip()
    if not url:
        raise InvalidPostUrl("Paste the link of a post.")
    errors = []
    for platform in PLATFORMS:
        try:
            return provider_class(platform).parse_post_url(url)
        except InvalidPostUrl as exc:
            errors.append(str(exc))
        except NotImplementedError:
            continue
    raise InvalidPostUrl("That link is not a post on Instagram, Facebook, TikTok, YouTube, LinkedIn or X.")
