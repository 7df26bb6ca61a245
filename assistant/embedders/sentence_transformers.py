"""Any sentence-transformers model, by local path or by name (from a local hub cache)."""

from __future__ import annotations

from typing import Any

from assistant.embedders import Embedder
from assistant.errors import EmbedderError


class SentenceTransformerEmbedder(Embedder):
    """e5-family models get their `query: ` / `passage: ` prefixes; others get raw text."""

    def __init__(self, model: str) -> None:
        self.model_name = model
        self.id = "st-" + model.rstrip("/").split("/")[-1]
        self._model: Any = None
        self._e5 = "e5" in model.lower()

    @property
    def model(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(self.model_name, device="cpu")
            except Exception as exc:
                raise EmbedderError(
                    f"Impossible de charger le modèle sentence-transformers « {self.model_name} » ({exc}). "
                    "Donnez le chemin d'un dossier de modèle local (CARREFOUR_EMBEDDER_MODEL) : "
                    "aucun modèle n'est téléchargé ici."
                ) from exc
        return self._model

    @property
    def dim(self) -> int:  # type: ignore[override]
        return int(self.model.get_embedding_dimension())

    def _encode(self, texts: list[str]) -> list[list[float]]:
        vecs = self.model.encode(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return vecs.tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self._encode([f"passage: {t}" if self._e5 else t for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self._encode([f"query: {text}" if self._e5 else text])[0]
