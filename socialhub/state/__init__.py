"""Reflex state classes: thin, they call services and hold view data only."""

from socialhub.state.auth import AuthState, Viewer, current_user_id, current_viewer

__all__ = ["AuthState", "Viewer", "current_user_id", "current_viewer"]
