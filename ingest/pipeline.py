"""Incremental, crash-safe ingestion: walk → load → clean → split → embed → write, file by file."""

from __future__ import annotations

import fcntl
import hashlib
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from assistant.embedders import Embedder
from assistant.errors import LoadError, StoreError
from assistant.settings import Settings
from assistant.stores import Store
from assistant.types import Chunk
from ingest import limits, loaders
from ingest.manifest import FileRecord, Manifest
from ingest.meta import MetaResolver, meta_hash
from ingest.ocr import DisabledReader, PageReader, TesseractReader
from ingest.split import split_document
from ingest.turns import structure
from ingest.walk import Skipped, Target, kept_by, targets, walk

# Bump when loading, cleaning or splitting changes what a file yields: every file is then redone.
# 2: OCR of scanned PDF pages; speaker turns of proceedings. 3: valid_as_of carried by every passage.
# 4: the speaker of a passage stored where the Chroma filter sees it.
PIPELINE_VERSION = "4"
UPSERT_BATCH = 512


def file_error(exc: BaseException) -> str:
    """What the user reads for an error no loader foresaw, in French, saying what to do."""
    if isinstance(exc, OSError):
        return f"fichier illisible ({exc.strerror or exc}) : vérifiez qu'il existe et que Carrefour a le droit de le lire"
    if isinstance(exc, RecursionError):
        return "structure imbriquée sur trop de niveaux (balises ou objets) : simplifiez le fichier"
    if isinstance(exc, MemoryError):
        return "mémoire insuffisante pour lire ce fichier : découpez-le en plusieurs documents"
    return (f"erreur inattendue en lisant ce fichier ({type(exc).__name__}) : vérifiez qu'il s'ouvre normalement ; "
            "si oui, signalez-le à l'équipe")


@dataclass
class Report:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Pending:
    """A new or changed file, parsed, waiting to be embedded and written."""

    target: Target
    rel: str
    size: int
    mtime_ns: int
    sha256: str
    fingerprint: str
    documents: int
    chunks: list[Chunk]
    old: FileRecord | None


@dataclass
class Scan:
    pending: list[Pending] = field(default_factory=list)
    removed: list[FileRecord] = field(default_factory=list)
    touched: list[FileRecord] = field(default_factory=list)  # same bytes, new mtime: no re-parse


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextmanager
def _lock(settings: Settings) -> Iterator[None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / "ingest.lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"Une ingestion est déjà en cours sur {settings.data_dir} : attendez qu'elle se termine."
            ) from None
        yield


def _bar(total: int, unit: str, desc: str, quiet: bool):  # type: ignore[no-untyped-def]
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, desc=desc, file=sys.stderr, disable=quiet or not sys.stderr.isatty())


class Ingestor:
    def __init__(
        self, settings: Settings, embedder: Embedder, store: Store, *, quiet: bool = False,
        ocr: PageReader | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.quiet = quiet
        self.settings_key = f"{PIPELINE_VERSION}:{settings.chunk_size}:{settings.chunk_overlap}"
        self._ocr = ocr  # built from the settings on first use when not given
        self._reembed = False  # set per run: the index was built with another embedding model

    @property
    def ocr(self) -> PageReader:
        if self._ocr is None:
            self._ocr = (TesseractReader(self.settings.ocr_cache_dir, progress=not self.quiet)
                         if self.settings.ocr else DisabledReader())
        return self._ocr

    def _pdf_key(self) -> str:
        # A PDF read without OCR (off, or Tesseract missing) is read again once OCR is possible.
        return "ocr" if self.ocr.unavailable() is None else "no-ocr"

    def run(
        self,
        paths: Sequence[Path],
        *,
        excludes: Sequence[str] = (),
        pdf_password: str | None = None,
        dry_run: bool = False,
    ) -> Report:
        started = time.perf_counter()
        report = Report()
        with _lock(self.settings):
            manifest = Manifest(self.settings.manifest_path)
            try:
                self._reembed = self._model_change(manifest, report)
                scan = self._scan(manifest, targets(paths), excludes, pdf_password, report, dry_run)
                if not dry_run:
                    self._write(manifest, scan, report)
                    dirty = manifest.dirty_roots()
                    if scan.pending or scan.removed or dirty or not self._keyword_index_usable():
                        self.refresh_keyword_index()
                    # Cleared only now: a crash before the keyword index is rebuilt leaves the roots
                    # dirty, and the next run rebuilds it even when no file changed.
                    for root in dirty:
                        manifest.set_dirty(root, False)
                report.documents = sum(r["documents"] for r in manifest.summary().values())
                report.chunks = self.store.count()
                report.seconds = round(time.perf_counter() - started, 3)
                if not dry_run:  # the model is kept with the run: the next one sees when it changes
                    manifest.record_run({**report.to_json(), "embedder": self.embedder.id})
            finally:
                manifest.close()
        return report

    def _model_change(self, manifest: Manifest, report: Report) -> bool:
        """True when the index was built with another embedding model: every file is then read and embedded
        again into this model's own collection. A killed run records nothing, so the next one redoes it
        (the embedding cache makes the passages already done free)."""
        files = sum(r["files"] for r in manifest.summary().values())
        last = manifest.last_run()
        if not files or last is None:
            return False
        before = last.get("embedder")
        if before == self.embedder.id or (before is None and self.store.count() > 0):
            return False  # before None: an index older than this record, built with this model if it has passages
        report.warnings.append({"path": str(self.settings.data_dir), "warning": (
            f"le modèle d'embeddings a changé ({before or 'un autre modèle'} → {self.embedder.id}) : les {files} "
            "fichiers déjà indexés sont relus et leurs passages recalculés avec le nouveau modèle, dans sa propre "
            "collection (les vecteurs de l'ancien restent à part dans le cache d'embeddings).")})
        return True

    def _scan(
        self,
        manifest: Manifest,
        roots: list[Target],
        excludes: Sequence[str],
        pdf_password: str | None,
        report: Report,
        dry_run: bool,
    ) -> Scan:
        scan = Scan()
        for target in roots:
            root = str(target.root)
            if not target.root.exists():
                report.failed.append({"path": root, "error": "dossier ou fichier introuvable : vérifiez le chemin"})
                continue
            known = manifest.files(root)
            resolver = MetaResolver(target.root)
            skipped: list[Skipped] = []
            files = list(walk(target, excludes, skipped))
            seen = {rel for _, rel in files}
            if target.only is None:  # a file of an unreadable folder is not gone: it stays as it was
                scan.removed += [rec for (_, rel), rec in known.items() if rel not in seen and not kept_by(skipped, rel)]
            report.warnings += [{"path": str(target.root / s.rel), "warning": s.reason} for s in skipped]
            with _bar(len(files), "fichier", "Analyse", self.quiet) as bar:
                for path, rel in files:
                    bar.update(1)
                    # One file's failure, whatever it is, is a line of the report, never the end of the run.
                    try:
                        with limits.budget(rel, None if path.suffix.lower() == ".pdf" else limits.MAX_SECONDS):
                            item = self._examine(target, path, rel, known.get((root, rel)), resolver, pdf_password,
                                                 report, dry_run)
                    except LoadError as exc:
                        report.failed.append({"path": str(path), "error": exc.reason})
                        continue
                    except Exception as exc:  # noqa: BLE001
                        report.failed.append({"path": str(path), "error": file_error(exc)})
                        continue
                    if isinstance(item, Pending):
                        scan.pending.append(item)
                    elif item is not None:
                        scan.touched.append(item)
            report.warnings += [{"path": str(target.root / p), "warning": w} for p, w in resolver.warnings]
        report.removed = len(scan.removed)
        return scan

    def _examine(
        self,
        target: Target,
        path: Path,
        rel: str,
        old: FileRecord | None,
        resolver: MetaResolver,
        pdf_password: str | None,
        report: Report,
        dry_run: bool,
    ) -> Pending | FileRecord | None:
        stat = path.stat()
        folder_meta, sidecar_meta = resolver.for_file(path)
        fingerprint = f"{self.settings_key}:{meta_hash(folder_meta)}:{meta_hash(sidecar_meta)}"
        if path.suffix.lower() == ".pdf":
            fingerprint += f":{self._pdf_key()}"
        if self._reembed:
            old = replace(old, fingerprint="") if old else None  # same file, new model: read it again
        if old and old.fingerprint == fingerprint and (old.size, old.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            report.unchanged += 1
            return None
        sha = _sha256(path)
        if old and old.fingerprint == fingerprint and old.sha256 == sha:
            report.unchanged += 1
            return replace(old, mtime_ns=stat.st_mtime_ns)
        if dry_run:
            if old:
                report.updated += 1
            else:
                report.added += 1
            return None
        try:
            loaded = loaders.load(path, rel, pdf_password=pdf_password, ocr=self.ocr)
        except LoadError as exc:
            report.failed.append({"path": str(path), "error": exc.reason})
            return None
        report.warnings += [{"path": str(path), "warning": w} for w in loaded.warnings]
        chunks: dict[str, Chunk] = {}
        root = str(target.root)
        for doc in loaded.documents:
            doc = replace(doc, metadata={**folder_meta, **doc.metadata, **sidecar_meta})
            doc = structure(doc)  # proceedings: one section per speaker turn
            for chunk in split_document(doc, root, self.settings.chunk_size, self.settings.chunk_overlap):
                chunks.setdefault(chunk.id, chunk)
        return Pending(target, rel, stat.st_size, stat.st_mtime_ns, sha, fingerprint, len(loaded.documents),
                       list(chunks.values()), old)

    def _write(self, manifest: Manifest, scan: Scan, report: Report) -> None:
        roots = {str(p.target.root) for p in scan.pending} | {r.root for r in scan.removed}
        for root in roots:
            manifest.set_dirty(root, True)
        for rec in scan.touched:
            manifest.put(rec)
        total = sum(len(p.chunks) for p in scan.pending)
        with _bar(total, "passage", "Indexation", self.quiet) as bar:
            for item in scan.pending:
                self._write_file(manifest, item, bar)
                if item.old:
                    report.updated += 1
                else:
                    report.added += 1
        for rec in scan.removed:
            self.store.delete(rec.chunk_ids)
            manifest.remove(rec.root, rec.path)
        for root in roots | set(manifest.dirty_roots()):
            orphans = self.store.ids(root) - manifest.chunk_ids(root)
            self.store.delete(orphans)

    def _write_file(self, manifest: Manifest, item: Pending, bar) -> None:  # type: ignore[no-untyped-def]
        # New chunks are written before the old ones are deleted: a crash in between leaves
        # extra chunks that the next run's orphan sweep removes, never a hole.
        batch = max(1, self.settings.embed_batch_size)
        # Embed in small batches (cache commits, progress) but write in large ones: each Chroma
        # upsert call costs ≈0.15 s whatever its size.
        for start in range(0, len(item.chunks), UPSERT_BATCH):
            group = item.chunks[start : start + UPSERT_BATCH]
            vectors: list[list[float]] = []
            for i in range(0, len(group), batch):
                vectors += self.embedder.embed_documents([c.indexed_text for c in group[i : i + batch]])
                bar.update(len(group[i : i + batch]))
            self.store.upsert(group, vectors)
        new_ids = tuple(c.id for c in item.chunks)
        if item.old:
            self.store.delete(set(item.old.chunk_ids) - set(new_ids))
        manifest.put(
            FileRecord(str(item.target.root), item.rel, item.size, item.mtime_ns, item.sha256, item.fingerprint,
                       item.documents, new_ids)
        )

    def keyword_dir(self) -> Path:
        from assistant.generation import keyword_dir

        return keyword_dir(self.settings, self.embedder.id)

    def _keyword_index_usable(self) -> bool:
        """False when missing, or written by another version of the analysis (then rebuilt)."""
        from assistant.keyword import KeywordIndex

        try:
            KeywordIndex.load(self.keyword_dir())
        except StoreError:
            return False
        return True

    def refresh_keyword_index(self) -> None:
        """Full rebuild from the store: bm25s has no incremental update, and a rebuild of 12k chunks
        takes a few seconds, far less than embedding them."""
        from assistant.generation import stamp_path, write_stamp
        from assistant.keyword import KeywordIndex

        chunks = list(self.store.chunks())
        KeywordIndex.build(chunks).save(self.keyword_dir())
        # Last: running chats reload when they see it, and by then the store and keyword index agree.
        write_stamp(stamp_path(self.settings, self.embedder.id), len(chunks))
