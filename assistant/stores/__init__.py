"""Vector stores behind one small protocol; Chroma for real, memory for tests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from assistant.errors import ConfigError
from assistant.settings import Settings
from assistant.types import Chunk, Filters, Hit, chunk_folder, chunk_speaker, chunk_year


class Store(Protocol):
    """One collection of chunks embedded by one embedder.

    The contract every backend keeps (checked by `tests/assistant/test_stores.py` over memory and Chroma):
    a chunk comes back as it went in (`to_metadata` / `from_metadata` round trip); `upsert` of an existing id
    replaces it; `delete`, `get` and `ids` ignore unknown ids; a chunk that no longer exists is never returned,
    not even by a vector index loaded before it was deleted; `Filters` mean what `Filters.accepts` says.
    """

    location: str  # where the chunks live, for messages and `carrefour status`

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Write chunks with their vectors (same order, same length)."""
        ...

    def delete(self, ids: Iterable[str]) -> None:
        """Remove these chunks; unknown ids are ignored."""
        ...

    def query(self, vector: Sequence[float], k: int, filters: Filters | None = None) -> list[Hit]:
        """The k chunks nearest to `vector` (cosine) that pass `filters`, best first, ranks from 1."""
        ...

    def ids(self, root: str | None = None) -> set[str]:
        """Ids of all chunks, or of those ingested from `root`."""
        ...

    def get(self, ids: Sequence[str]) -> list[Chunk]:
        """The chunks of these ids that exist, in the order asked."""
        ...

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk (to rebuild the keyword index)."""
        ...

    def count(self) -> int:
        """How many chunks."""
        ...

    def unit_chunks(self, chunks: Sequence[Chunk]) -> list[Chunk]:
        """Every chunk of the citable units of `chunks` (`assistant.units.unit_key`), in reading order, in one
        call: what an answer needs to quote a whole list or paragraph that the splitter cut in two."""
        ...

    def refresh(self) -> None:
        """Drop what this process cached, to see what another process wrote (called after a new generation)."""
        ...


def same_unit(chunks: Sequence[Chunk], candidates: Iterable[Chunk]) -> list[Chunk]:
    """The chunks of `candidates` in the citable units of `chunks`, in reading order (`Store.unit_chunks`)."""
    from assistant.units import unit_key

    keys = {unit_key(c) for c in chunks}
    return sorted((c for c in candidates if unit_key(c) in keys), key=lambda c: (c.start, c.end))


def collection_name(embedder_id: str) -> str:
    """One collection per embedder, so vectors of two models never mix."""
    return ("carrefour-" + re.sub(r"[^a-zA-Z0-9._-]", "-", embedder_id))[:512]


_FIELDS = ("source", "root", "title", "section", "page", "page_end", "start", "end", "record_id", "date", "kind",
           "valid_as_of")


def to_metadata(chunk: Chunk) -> dict[str, Any]:
    """Chroma metadata holds scalars only and no None: absent fields are left out."""
    meta: dict[str, Any] = {f: getattr(chunk, f) for f in _FIELDS if getattr(chunk, f) is not None}
    year = chunk_year(chunk)
    if year is not None:
        meta["year"] = year
    meta["folder"] = chunk_folder(chunk)
    speaker = chunk_speaker(chunk)
    if speaker:  # top level: the `--speaker` filter is a Chroma `where`
        meta["speaker"] = speaker
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
