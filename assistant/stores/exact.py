"""Exact cosine search over a snapshot of every vector of a collection, in NumPy."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import numpy as np


def normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (a zero row stays zero: it scores 0 against everything, as it does in Chroma)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        matrix = matrix.reshape(len(matrix), -1)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


class ExactIndex:
    """Ids and their normalised vectors, never changed in place: a write makes a new index, so a search already
    running keeps reading the one it started on."""

    def __init__(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        self.ids = list(ids)
        self.vectors = normalised(vectors) if len(self.ids) else np.zeros((0, 0), dtype=np.float32)
        self.rows = {cid: n for n, cid in enumerate(self.ids)}

    @classmethod
    def _of(cls, ids: list[str], vectors: np.ndarray, rows: dict[str, int]) -> ExactIndex:
        """An index from rows already normalised and their positions (a write's result, without recomputing)."""
        index = cls.__new__(cls)
        index.ids, index.vectors, index.rows = ids, vectors, rows
        return index

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, vector: Sequence[float], k: int, allowed: Collection[str] | None = None
               ) -> list[tuple[str, float]]:
        """The k ids most similar to `vector` (cosine, best first), among `allowed` when given."""
        if k <= 0 or not self.ids:
            return []
        query = normalised(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        scores = self.vectors @ query
        rows = None
        if allowed is not None:  # scoring every row then picking is faster than copying the allowed ones
            rows = np.fromiter((self.rows[i] for i in allowed if i in self.rows), dtype=np.int64)
            scores = scores[rows]
        if len(scores) > k:
            top = np.argpartition(-scores, k - 1)[:k]
        else:
            top = np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        picked = top if rows is None else rows[top]
        return [(self.ids[r], float(s)) for r, s in zip(picked, scores[top])]

    def upserted(self, ids: Sequence[str], vectors: Sequence[Sequence[float]]) -> ExactIndex:
        """A new index where `ids` have these vectors, replaced or added."""
        latest = dict(zip(ids, range(len(ids))))  # the last vector of an id given twice wins, as in Chroma
        new = np.asarray(vectors, dtype=np.float32)
        if not self.ids:
            order = list(latest)
            return ExactIndex(order, new[[latest[i] for i in order]])
        matrix = self.vectors.copy()
        replaced = [(self.rows[i], n) for i, n in latest.items() if i in self.rows]
        if replaced:
            at, src = zip(*replaced)
            matrix[list(at)] = normalised(new[list(src)])
        added = [i for i in latest if i not in self.rows]
        if added:
            matrix = np.vstack([matrix, normalised(new[[latest[i] for i in added]])])
        return ExactIndex._of(self.ids + added, matrix, {**self.rows, **{i: len(self.ids) + n for n, i in enumerate(added)}})

    def without(self, ids: Iterable[str]) -> ExactIndex:
        """A new index without these ids; unknown ids are ignored."""
        drop = {self.rows[i] for i in ids if i in self.rows}
        if not drop:
            return self
        keep = np.ones(len(self.ids), dtype=bool)
        keep[list(drop)] = False
        ids = [cid for cid, kept in zip(self.ids, keep) if kept]
        return ExactIndex._of(ids, self.vectors[keep], {cid: n for n, cid in enumerate(ids)})
