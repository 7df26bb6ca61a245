"""Persistent embedding cache keyed by (model id, text hash): unchanged text is never embedded twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from assistant.embedders import Embedder
from assistant.types import text_hash


class CachedEmbedder(Embedder):
    """Wraps an embedder; each computed batch is committed at once so that a killed run keeps it."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.id = inner.id
        self.similarity_range = inner.similarity_range
        self.path = path
        self._db: sqlite3.Connection | None = None

    @property
    def dim(self) -> int:  # type: ignore[override]
        return self.inner.dim

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))"
            )
        return self._db

    def lookup(self, texts: list[str]) -> dict[str, list[float]]:
        hashes = list({text_hash(t) for t in texts})
        found: dict[str, list[float]] = {}
        for i in range(0, len(hashes), 500):
            part = hashes[i : i + 500]
            rows = self.db.execute(
                f"SELECT hash, vector FROM vectors WHERE model = ? AND hash IN ({','.join('?' * len(part))})",
                [self.id, *part],
            )
            for h, blob in rows:
                found[h] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        found = self.lookup(texts)
        missing = list(dict.fromkeys(t for t in texts if text_hash(t) not in found))
        if missing:
            vectors = self.inner.embed_documents(missing)
            rows = [
                (self.id, text_hash(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in zip(missing, vectors)
            ]
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            found.update({text_hash(t): v for t, v in zip(missing, vectors)})
        return [found[text_hash(t)] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
