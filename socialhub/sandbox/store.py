"""The sandbox's own persistence: a small document store on SQLite.

Every document is a JSON object kept under (kind, id). Reads come from an in-memory copy;
writes go through to disk at once, so the sandbox's state survives a restart.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

Doc = dict[str, Any]
# Secondary indexes: find() by these fields reads only the matching documents, not the kind
# (an account's posts out of a benchmark's 100,000).
INDEXES: dict[str, tuple[str, ...]] = {"posts": ("platform", "account_id")}


def _copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars), several times faster than
    copy.deepcopy, which matters when an endpoint reads thousands of documents."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class Store:
    def __init__(self, path: Path | str | None) -> None:
        self._lock = threading.RLock()
        target = ":memory:" if path is None else str(path)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Every call bumps counters (a write each); in WAL mode NORMAL syncs at checkpoints, not
        # per write, which keeps the sandbox from capping a sync at ~20 calls a second.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,"
            " PRIMARY KEY (kind, id))"
        )
        self._cache: dict[str, dict[str, Doc]] = {}
        self._index: dict[str, dict[tuple[Any, ...], dict[str, Doc]]] = {k: {} for k in INDEXES}
        for kind, id_, data in self._db.execute("SELECT kind, id, data FROM docs"):
            self._cache.setdefault(kind, {})[id_] = json.loads(data)
            self._reindex(kind, id_, None, self._cache[kind][id_])

    def _reindex(self, kind: str, id_: str, old: Doc | None, new: Doc | None) -> None:
        fields = INDEXES.get(kind)
        if fields is None:
            return
        index = self._index[kind]
        if old is not None:
            index.get(tuple(old.get(f) for f in fields), {}).pop(id_, None)
        if new is not None:
            index.setdefault(tuple(new.get(f) for f in fields), {})[id_] = new

    # --- reads ---------------------------------------------------------------------------
    def get(self, kind: str, id_: str) -> Doc | None:
        with self._lock:
            doc = self._cache.get(kind, {}).get(str(id_))
            return _copy(doc) if doc is not None else None

    def all(self, kind: str) -> list[Doc]:
        with self._lock:
            return [_copy(d) for d in self._cache.get(kind, {}).values()]

    def find(self, kind: str, /, where: Callable[[Doc], bool] | None = None, **equals: Any) -> list[Doc]:
        with self._lock:
            fields = INDEXES.get(kind)
            if fields is not None and all(f in equals for f in fields):
                docs = self._index[kind].get(tuple(equals[f] for f in fields), {}).values()
            else:
                docs = self._cache.get(kind, {}).values()
            out = []
            for doc in docs:
                if all(doc.get(k) == v for k, v in equals.items()) and (where is None or where(doc)):
                    out.append(_copy(doc))
            return out

    def ids(self, kind: str) -> list[str]:
        with self._lock:
            return list(self._cache.get(kind, {}))

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._cache.get(kind, {}))

    # --- writes --------------------------------------------------------------------------
    def put(self, kind: str, id_: str, doc: Doc) -> Doc:
        id_ = str(id_)
        with self._lock:
            bucket = self._cache.setdefault(kind, {})
            new = _copy(doc)
            self._reindex(kind, id_, bucket.get(id_), new)
            bucket[id_] = new
            self._db.execute(
                "INSERT INTO docs (kind, id, data) VALUES (?, ?, ?)"
                " ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data",
                (kind, id_, json.dumps(doc, default=str)),
            )
        return doc

    def put_many(self, kind: str, docs: Iterable[tuple[str, Doc]]) -> None:
        with self._lock:
            rows = []
            bucket = self._cache.setdefault(kind, {})
            for id_, doc in docs:
                new = _copy(doc)
                self._reindex(kind, str(id_), bucket.get(str(id_)), new)
                bucket[str(id_)] = new
                rows.append((kind, str(id_), json.dumps(doc, default=str)))
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO docs (kind, id, data) VALUES (?, ?, ?)"
                " ON CONFLICT(kind, id) DO UPDATE SET data = excluded.data",
                rows,
            )
            self._db.execute("COMMIT")

    def update(self, kind: str, id_: str, **changes: Any) -> Doc | None:
        with self._lock:
            doc = self.get(kind, id_)
            if doc is None:
                return None
            doc.update(changes)
            return self.put(kind, id_, doc)

    def delete(self, kind: str, id_: str) -> None:
        with self._lock:
            self._reindex(kind, str(id_), self._cache.get(kind, {}).pop(str(id_), None), None)
            self._db.execute("DELETE FROM docs WHERE kind = ? AND id = ?", (kind, str(id_)))

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._index = {k: {} for k in INDEXES}
            self._db.execute("DELETE FROM docs")

    def close(self) -> None:
        with self._lock:
            self._db.close()
