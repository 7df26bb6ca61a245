"""SQLite manifest: for each ingested file, its fingerprint and the ids of its chunks in the store.

It is updated only after the store holds a file's new chunks, so after a crash it can only lag
behind the store, never lead it; the orphan sweep of the next run removes what it does not know.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import StoreError

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    root TEXT NOT NULL, path TEXT NOT NULL, size INTEGER, mtime_ns INTEGER, sha256 TEXT,
    fingerprint TEXT, documents INTEGER, chunk_ids TEXT, ingested_at REAL,
    PRIMARY KEY (root, path));
CREATE TABLE IF NOT EXISTS roots (root TEXT PRIMARY KEY, dirty INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, finished_at REAL, report TEXT);
"""


@dataclass(frozen=True)
class FileRecord:
    root: str
    path: str
    size: int
    mtime_ns: int
    sha256: str
    fingerprint: str
    documents: int
    chunk_ids: tuple[str, ...]


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"Manifeste d'ingestion illisible ({path}) : {exc}. Supprimez le dossier de données et réingérez."
            ) from exc

    def files(self, root: str | None = None) -> dict[tuple[str, str], FileRecord]:
        sql = "SELECT root, path, size, mtime_ns, sha256, fingerprint, documents, chunk_ids FROM files"
        rows = self.db.execute(sql + (" WHERE root = ?" if root else ""), (root,) if root else ())
        return {
            (r[0], r[1]): FileRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], tuple(json.loads(r[7])))
            for r in rows
        }

    def put(self, record: FileRecord) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record.root, record.path, record.size, record.mtime_ns, record.sha256, record.fingerprint,
                 record.documents, json.dumps(list(record.chunk_ids)), time.time()),
            )

    def remove(self, root: str, path: str) -> None:
        with self.db:
            self.db.execute("DELETE FROM files WHERE root = ? AND path = ?", (root, path))

    def chunk_ids(self, root: str) -> set[str]:
        ids: set[str] = set()
        for (chunk_ids,) in self.db.execute("SELECT chunk_ids FROM files WHERE root = ?", (root,)):
            ids.update(json.loads(chunk_ids))
        return ids

    def set_dirty(self, root: str, dirty: bool) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO roots VALUES (?, ?)", (root, int(dirty)))

    def dirty_roots(self) -> list[str]:
        return [r for (r,) in self.db.execute("SELECT root FROM roots WHERE dirty = 1")]

    def summary(self) -> dict[str, dict[str, int]]:
        rows = self.db.execute(
            "SELECT root, COUNT(*), SUM(documents), SUM(json_array_length(chunk_ids)) FROM files GROUP BY root"
        )
        return {r[0]: {"files": r[1], "documents": r[2] or 0, "chunks": r[3] or 0} for r in rows}

    def record_run(self, report: dict[str, object]) -> None:
        with self.db:
            self.db.execute("INSERT INTO runs (finished_at, report) VALUES (?, ?)", (time.time(), json.dumps(report)))

    def last_run(self) -> dict[str, object] | None:
        row = self.db.execute("SELECT finished_at, report FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return {"finished_at": row[0], **json.loads(row[1])} if row else None

    def close(self) -> None:
        self.db.close()
