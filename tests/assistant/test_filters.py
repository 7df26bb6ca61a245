"""One filter table, run over every place filters are applied: the memory store, Chroma and the keyword index
must all keep exactly the chunks `Filters.accepts` keeps (issue 12: three implementations, one checked)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.embedders.hashing import HashEmbedder
from assistant.keyword import KeywordIndex
from assistant.settings import Settings
from assistant.stores import make_store
from assistant.types import Chunk, Filters


def chunk(i: int, source: str, root: str = "/corpus", **kw: object) -> Chunk:
    return Chunk(id=f"c{i}", text=f"territoire numéro {i}", source=source, root=root, title=f"T{i}", **kw)  # type: ignore[arg-type]


CHUNKS = [
    chunk(1, "fiches/a.md", kind="fiche", date="2014-02-21"),
    chunk(2, "fiches/b.md", kind="fiche", date="2019"),
    chunk(3, "textes/loi.md", kind="texte officiel", date="2015-05"),
    chunk(4, "textes/sans-date.md", kind="texte officiel"),
    chunk(5, "note.md", root="/home/x/mes-notes", kind="note", date="2016-01-01"),  # top of a root: the root's name
    chunk(6, "actes/2017.txt", date="2017-12-11"),  # no kind
]

FILTERS = [
    Filters(),
    Filters(kind="fiche"),
    Filters(kind="texte officiel"),
    Filters(kind="inconnu"),
    Filters(year_from=2016),
    Filters(year_to=2015),
    Filters(year_from=2015, year_to=2016),
    Filters(year_from=2014, year_to=2014),
    Filters(folder="fiches"),
    Filters(folder="mes-notes"),
    Filters(kind="fiche", year_from=2016, folder="fiches"),
    Filters(kind="texte officiel", year_to=2020),  # the undated text is left out by any year bound
]


def memory_or_chroma(backend: str, tmp_path: Path) -> Callable[[Filters], set[str]]:
    store = make_store(Settings(data_dir=tmp_path / "data", embedder="hash"), "hash-256", backend=backend)
    embedder = HashEmbedder()
    store.upsert(CHUNKS, embedder.embed_documents([c.text for c in CHUNKS]))
    vector = embedder.embed_query("territoire")
    return lambda f: {h.chunk.id for h in store.query(vector, 100, f)}


def keyword(tmp_path: Path) -> Callable[[Filters], set[str]]:
    index = KeywordIndex.build(CHUNKS)
    return lambda f: {cid for cid, _ in index.search("territoire", 100, f)}


@pytest.fixture(scope="module", params=["memory", "chroma", "keyword"])
def search(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Callable[[Filters], set[str]]:
    tmp_path = tmp_path_factory.mktemp(request.param)
    return keyword(tmp_path) if request.param == "keyword" else memory_or_chroma(request.param, tmp_path)


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
def test_every_backend_keeps_what_filters_accepts(search: Callable[[Filters], set[str]], filters: Filters) -> None:
    assert search(filters) == {c.id for c in CHUNKS if filters.accepts(c)}


def test_the_table_tells_the_cases_apart() -> None:
    kept = [frozenset(c.id for c in CHUNKS if f.accepts(c)) for f in FILTERS]
    assert len(set(kept)) >= len(FILTERS) - 2 and frozenset() in kept
