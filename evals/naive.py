"""The naive reference pipeline, built the way LangChain's tutorials do it, to measure what the project gains.

`RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)` over the raw text of the ingested files
(the ones listed in the manifest), the same embedder, `langchain_chroma.Chroma` in its own collection,
similarity search k=5. Its answers come from the project's answer builder, so that only retrieval differs.

The collection is rebuilt only when the manifest (files and their hashes), the recipe or the embedder change.
Each piece keeps the section where most of its text lies: that metadata is used to match gold passages,
never to retrieve (the recipe embeds the bare text, without title or heading path).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.conversation import condense
from assistant.embedders import Embedder
from assistant.errors import LoadError, StoreError
from assistant.query import Query
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.stores import collection_name, from_metadata, to_metadata
from assistant.types import Chunk, Document, Filters, Hit, Section, chunk_id

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 5
RECIPE = f"naive-1:RecursiveCharacterTextSplitter({CHUNK_SIZE},{CHUNK_OVERLAP}):raw-text"
BATCH = 256  # documents embedded and written per call: the embedding cache commits after each


def naive_collection(embedder_id: str) -> str:
    return collection_name(embedder_id).replace("carrefour-", "carrefour-naive-", 1)


def main_section(sections: Sequence[Section], start: int, end: int) -> str | None:
    """The heading path under which most of [start, end) lies."""
    best, size = None, 0
    for s in sections:
        overlap = min(end, s.end) - max(start, s.start)
        if overlap > size:
            best, size = s.path, overlap
    return best


def split(document: Document, root: str) -> list[Chunk]:
    """The tutorial's splitter over one document's text; metadata carried over as the pipeline does."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ingest.meta import guess_date, infer_kind, normalise_date

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True)
    meta = dict(document.metadata)
    kind = meta.pop("kind", None) or infer_kind(document.title, meta)
    date = normalise_date(meta.pop("date", None)) or guess_date(
        document.title, *(str(meta.get(k, "")) for k in ("collection", "texte", "source"))
    )
    meta.pop("title", None)
    chunks = []
    for piece in splitter.create_documents([document.text]):
        start = int(piece.metadata["start_index"])
        end = start + len(piece.page_content)
        section = main_section(document.sections, start, end)
        chunks.append(Chunk(
            # Prefixed: a naive piece never shares an id with a chunk of the project's collection.
            id=chunk_id(f"naive:{root}/{document.source}", document.record_id, section, piece.page_content, start),
            text=piece.page_content, source=document.source, root=root, title=document.title, section=section,
            page=document.page_at(start), page_end=document.page_at(end - 1), start=start, end=end,
            record_id=document.record_id, date=date, kind=str(kind) if kind else None, metadata=meta,
        ))
    return chunks


def _chroma_client(settings: Settings) -> Any:
    """The same client as the project's store (same settings: chromadb refuses two differing ones)."""
    from urllib.parse import urlparse

    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                   ssl=url.scheme == "https", settings=chroma_settings)
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class NaiveIndex:
    """Cheap to build; `ensure()` (re)builds the collection when needed, `search()` queries it."""

    def __init__(self, settings: Settings, embedder: Embedder, *, quiet: bool = True) -> None:
        self.settings = settings
        self.embedder = embedder
        self.quiet = quiet
        self.name = naive_collection(embedder.id)
        self.state_path = settings.data_dir / "naive" / f"{self.name}.json"
        self._client: Any = None
        self._vectorstore: Any = None

    @property
    def vectorstore(self) -> Any:
        if self._vectorstore is None:
            from langchain_chroma import Chroma

            try:
                self._client = self._client or _chroma_client(self.settings)
                # The embeddings are passed in: Chroma's default function would fetch an English model.
                self._vectorstore = Chroma(collection_name=self.name, embedding_function=self.embedder,
                                           client=self._client)
            except Exception as exc:
                raise StoreError(f"Collection naïve {self.name} inaccessible : {exc}.") from exc
        return self._vectorstore

    def files(self) -> list[tuple[str, str, str]]:
        """(root, path relative to it, sha256) of every ingested file, from the manifest."""
        from ingest.manifest import Manifest

        if not self.settings.manifest_path.exists():
            raise StoreError(
                f"Aucun manifeste dans {self.settings.data_dir} : lancez « carrefour ingest » avant l'évaluation."
            )
        manifest = Manifest(self.settings.manifest_path)
        try:
            return sorted((r.root, r.path, r.sha256) for r in manifest.files().values())
        finally:
            manifest.close()

    def key(self, files: Sequence[tuple[str, str, str]]) -> str:
        h = hashlib.sha256(f"{RECIPE}\x1f{self.embedder.id}".encode())
        for row in files:
            h.update("\x1f".join(row).encode() + b"\n")
        return h.hexdigest()

    def state(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.state_path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {}

    def up_to_date(self, files: Sequence[tuple[str, str, str]] | None = None) -> bool:
        state = self.state()
        key = self.key(files if files is not None else self.files())
        return state.get("key") == key and state.get("chunks") == self.count()

    def count(self) -> int:
        # langchain_chroma has no public count; its collection is the chromadb one.
        return int(self.vectorstore._collection.count())

    def chunks(self, files: Sequence[tuple[str, str, str]]) -> Iterator[Chunk]:
        from ingest import loaders
        from ingest.meta import MetaResolver

        resolvers: dict[str, MetaResolver] = {}
        for root, rel, _ in files:
            path = Path(root) / rel
            resolver = resolvers.setdefault(root, MetaResolver(Path(root)))
            try:
                loaded = loaders.load(path, rel)
            except LoadError:
                continue  # a file that failed since its ingestion: the project's index no longer matches it either
            folder_meta, sidecar_meta = resolver.for_file(path)
            for doc in loaded.documents:
                doc = replace(doc, metadata={**folder_meta, **doc.metadata, **sidecar_meta})
                yield from split(doc, root)

    def ensure(self) -> dict[str, Any]:
        """Build the collection unless it matches the manifest; returns its state."""
        files = self.files()
        if self.up_to_date(files):
            return self.state()
        from langchain_core.documents import Document as LCDocument
        from tqdm import tqdm

        started = time.perf_counter()
        self.vectorstore.reset_collection()
        chunks = list({c.id: c for c in self.chunks(files)}.values())
        bar = tqdm(total=len(chunks), unit="passage", desc="Index naïf", file=sys.stderr,
                   disable=self.quiet or not sys.stderr.isatty())
        with bar:
            for i in range(0, len(chunks), BATCH):
                part = chunks[i : i + BATCH]
                docs = [LCDocument(page_content=c.text, metadata=to_metadata(c)) for c in part]
                self.vectorstore.add_documents(docs, ids=[c.id for c in part])
                bar.update(len(part))
        state = {"key": self.key(files), "chunks": len(chunks), "files": len(files), "recipe": RECIPE,
                 "embedder": self.embedder.id, "seconds": round(time.perf_counter() - started, 1)}
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        self.state_path.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        return state

    def search(self, query: str, k: int = TOP_K) -> list[Hit]:
        found = self.vectorstore.similarity_search_with_score(query, k=k)
        # Chroma's default space is squared L2; for unit vectors 1 - d/2 is the cosine similarity.
        return [Hit(chunk=from_metadata(doc.id or "", doc.page_content, dict(doc.metadata)), score=1.0 - dist / 2,
                    rank=rank) for rank, (doc, dist) in enumerate(found, 1)]


class NaiveAssistant(Assistant):
    """The project's assistant with the naive retrieval: same answer builder, abstention and citation check."""

    def __init__(self, base: Assistant, index: NaiveIndex) -> None:
        super().__init__(base.settings, base.embedder, base.store, base.chat_model)
        self.index = index

    def search(self, query: str | Query, k: int = 10, filters: Filters | None = None, mode: Any = None,
               history: Sequence[str] = ()) -> list[Hit]:
        text = query.standalone if isinstance(query, Query) else condense(query, history)
        return self.index.search(text, min(k, TOP_K))
