"""Deterministic fake embedder for tests: hashed bag of folded words, seeded from sha256."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import numpy as np

from assistant.embedders import Embedder

_WORD = re.compile(r"\w+")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode("ascii")


@lru_cache(maxsize=65536)
def _bucket(stem: str, dim: int) -> tuple[int, float]:
    digest = hashlib.sha256(stem.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "little") % dim, 1.0 if digest[4] % 2 else -1.0


class HashEmbedder(Embedder):
    """Words sharing a prefix of 5 letters land in the same bucket: crude stemming, enough for
    tests to retrieve the right passage without a model."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.id = f"hash-{dim}"

    def _vector(self, text: str) -> list[float]:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _WORD.findall(_fold(text)):
            bucket, sign = _bucket(word[:5], self.dim)
            vec[bucket] += sign
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:
            vec[0] = 1.0
            norm = 1.0
        return (vec / norm).tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)
