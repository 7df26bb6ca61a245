"""The composition root's two helpers, shared by the command line and the web app: build the components from
`Settings` (embedder with its cache, store, assistant, ingestor), and say what the index holds (status)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.embedders import Embedder
    from assistant.service import Assistant
    from assistant.stores import Store
    from ingest.pipeline import Ingestor


def components(settings: Settings) -> tuple[Embedder, Store]:
    """The configured embedder (behind its cache) and store; nothing loads before first use."""
    from assistant.embedders import make_embedder
    from assistant.embedders.cache import CachedEmbedder
    from assistant.stores import make_store

    embedder = CachedEmbedder(make_embedder(settings), settings.cache_path)
    return embedder, make_store(settings, embedder.id)


def assistant(settings: Settings) -> Assistant:
    from assistant.service import Assistant

    embedder, store = components(settings)
    return Assistant(settings, embedder, store)


def ingestor(settings: Settings, embedder: Embedder, store: Store, *, quiet: bool = False) -> Ingestor:
    from ingest.pipeline import Ingestor

    return Ingestor(settings, embedder, store, quiet=quiet)


def status(settings: Settings, embedder: Embedder | None = None, store: Store | None = None) -> dict[str, Any]:
    """What `carrefour status` and the admin tab report. Only reads: a data dir never ingested stays untouched
    (no manifest, no Chroma folder created)."""
    from assistant.generation import keyword_dir
    from ingest.manifest import Manifest

    if embedder is None or store is None:
        embedder, store = components(settings)
    roots: dict[str, dict[str, int]] = {}
    last = None
    if settings.manifest_path.exists():
        manifest = Manifest(settings.manifest_path)
        try:
            roots = manifest.summary()
            last = manifest.last_run()
        finally:
            manifest.close()
    never_ingested = not settings.chroma_url and not settings.chroma_dir.exists()
    return {
        "documents": sum(r["documents"] for r in roots.values()),
        "chunks": 0 if never_ingested else store.count(),
        "roots": roots,
        "embedder": embedder.id,
        "store": store.location,
        "data_dir": str(settings.data_dir),
        "last_run": last,
        "keyword_index": keyword_dir(settings, embedder.id).exists(),
    }
