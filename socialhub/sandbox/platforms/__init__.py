"""Sandbox platform modules, one per real API family."""

from __future__ import annotations

import importlib

# Module name -> class name. Instagram and Facebook share the Graph API (meta).
_MODULES = (
    ("meta", "MetaGraph"),
    ("tiktok", "TikTok"),
    ("youtube", "YouTube"),
    ("linkedin", "LinkedIn"),
    ("x", "X"),
)


def _load() -> list[type]:
    found = []
    for module_name, class_name in _MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{module_name}":
                continue  # not built yet
            raise
        found.append(getattr(module, class_name))
    return found


MODULES = _load()
