"""Vector stores behind one small protocol; Chroma for real, memory for tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from assistant.errors import ConfigError
from assistant.settings import Settings
from assistant.types import Chunk, Filters, Hit, chunk_folder, chunk_year


class Store(Protocol):
    """One collection of chunks embedded by one embedder."""

    location: str

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None: ...
    def delete(self, ids: Iterable[str]) -> None: ...
    def query(self, vector: Sequence[float], k: int, filters: Filters | None = None) -> list[Hit]: ...
    def ids(self, root: str | None = None) -> set[str]: ...
    def get(self, ids: Sequence[str]) -> list[Chunk]: ...
    def chunks(self) -> Iterator[Chunk]: ...
    def count(self) -> int: ...


def collection_name(embedder_id: str) -> str:
    """One collection per embedder, so vectors of two models never mix."""
    return ("carrefour-" + re.sub(r"[^a-zA-Z0-9._-]", "-", embedder_id))[:512]


_FIELDS = ("source", "root", "title", "section", "page", "page_end", "start", "end", "record_id", "date", "kind")


def to_metadata(chunk: Chunk) -> dict[str, Any]:
    """Chroma metadata holds scalars only and no None: absent fields are left out."""
    meta: dict[str, Any] = {f: getattr(chunk, f) for f in _FIELDS if getattr(chunk, f) is not None}
    year = chunk_year(chunk)
    if year is not None:
        meta["year"] = year
    meta["folder"] = chunk_folder(chunk)
    if chunk.metadata:
        meta["extra"] = json.dumps(dict(chunk.metadata), ensure_ascii=False)
    return meta


def from_metadata(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    fields = {f: meta.get(f) for f in _FIELDS}
    return Chunk(
        id=chunk_id,
        text=text,
        metadata=json.loads(meta["extra"]) if meta.get("extra") else {},
        **{k: v for k, v in fields.items() if v is not None},
    )


def _chroma(settings: Settings, embedder_id: str) -> Store:
    from assistant.stores.chroma import ChromaStore

    return ChromaStore(settings, collection_name(embedder_id))


def _memory(settings: Settings, embedder_id: str) -> Store:
    from assistant.stores.memory import MemoryStore

    return MemoryStore()


BACKENDS: dict[str, Callable[[Settings, str], Store]] = {"chroma": _chroma, "memory": _memory}


def make_store(settings: Settings, embedder_id: str, backend: str = "chroma") -> Store:
    try:
        return BACKENDS[backend](settings, embedder_id)
    except KeyError:
        raise ConfigError(f"Stockage inconnu « {backend} » : choisissez parmi {', '.join(BACKENDS)}.") from None
