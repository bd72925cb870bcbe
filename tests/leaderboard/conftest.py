"""Leaderboard tests run on the shared migrated database (tests/conftest.py)."""
