"""In-memory store for tests: same behaviour as Chroma, exact cosine search with numpy."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from assistant.stores import from_metadata, same_unit, to_metadata
from assistant.types import Chunk, Filters, Hit


class MemoryStore:
    location = "mémoire"

    def __init__(self) -> None:
        # Round-trip through Chroma's metadata form so both backends return the same Chunks.
        self._rows: dict[str, tuple[Chunk, np.ndarray]] = {}

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        for chunk, vec in zip(chunks, vectors):
            stored = from_metadata(chunk.id, chunk.text, to_metadata(chunk))
            self._rows[chunk.id] = (stored, np.asarray(vec, dtype=np.float32))

    def delete(self, ids: Iterable[str]) -> None:
        for i in ids:
            self._rows.pop(i, None)

    def query(self, vector: Sequence[float], k: int, filters: Filters | None = None) -> list[Hit]:
        q = np.asarray(vector, dtype=np.float32)
        scored = [
            (float(np.dot(q, v) / (np.linalg.norm(q) * np.linalg.norm(v) or 1.0)), c)
            for c, v in self._rows.values()
            if filters is None or filters.accepts(c)
        ]
        scored.sort(key=lambda sc: -sc[0])
        return [Hit(chunk=c, score=s, rank=r) for r, (s, c) in enumerate(scored[:k], start=1)]

    def ids(self, root: str | None = None) -> set[str]:
        return {i for i, (c, _) in self._rows.items() if root is None or c.root == root}

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        return [self._rows[i][0] for i in ids if i in self._rows]

    def chunks(self) -> Iterator[Chunk]:
        return (c for c, _ in list(self._rows.values()))

    def count(self) -> int:
        return len(self._rows)

    def unit_chunks(self, chunks: Sequence[Chunk]) -> list[Chunk]:
        return same_unit(chunks, (c for c, _ in self._rows.values()))

    def refresh(self) -> None:
        """Nothing cached: the rows are this process's own."""
