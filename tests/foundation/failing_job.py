"""A job that fails on purpose, importable by a real worker process."""

from worker.audit import audited


@audited("explode")
def explode(message: str) -> None:
    raise ValueError(message)
