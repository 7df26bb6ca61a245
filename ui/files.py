"""Serving the original documents: only files the manifest knows, under an ingested root; nothing else.

The browser names a file by a root key (a hash of the ingested root, so no server path leaks) and the path
relative to that root. A path is served only if it is relative, free of `..` and hidden parts, of a
supported format, resolves (symlinks followed) inside that root, and is a file the manifest lists.
PDFs are sent as they are (the link adds `#page=N`); other formats are shown as an escaped HTML page of
the text Carrefour indexed, with the cited passage marked: a corpus HTML file is never served raw.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import urlencode

from assistant.errors import CarrefourError
from assistant.settings import Settings
from assistant.types import Chunk, Document
from ingest.manifest import Manifest

ROUTE = "/document"
MAX_RECORDS = 200  # a JSONL opened without a passage shows its first records only
# The page shows indexed text only: no script, no outside resource, even if escaping were to fail.
SAFE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class DocumentError(CarrefourError):
    """A document the browser may not have or that does not exist; `status` is the HTTP code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def root_key(root: str) -> str:
    return hashlib.sha256(root.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Resolved:
    root: Path
    rel: str
    path: Path


class DocumentFiles:
    def __init__(self, settings: Settings, lookup: Callable[[str], Chunk | None] | None = None) -> None:
        self.settings = settings
        self.lookup = lookup  # chunk id → chunk, to mark the cited passage
        self._cache: OrderedDict[tuple[str, int, int, str | None], list[Document]] = OrderedDict()
        self._lock = threading.Lock()

    def _manifest(self) -> Manifest:
        return Manifest(self.settings.manifest_path)

    def roots(self) -> dict[str, Path]:
        manifest = self._manifest()
        try:
            return {root_key(r): Path(r) for r in manifest.summary()}
        finally:
            manifest.close()

    def url(self, chunk: Chunk) -> str:
        query = {"root": root_key(chunk.root), "path": chunk.source, "passage": chunk.id}
        anchor = f"#page={chunk.page}" if chunk.source.lower().endswith(".pdf") and chunk.page else "#passage"
        return f"{ROUTE.lstrip('/')}?{urlencode(query)}{anchor}"

    def resolve(self, key: str, rel: str) -> Resolved:
        from ingest.loaders import SUFFIXES

        refused = DocumentError(403, "Accès refusé : seuls les documents indexés par Carrefour peuvent être ouverts.")
        if not rel or "\x00" in rel or "\\" in rel or len(rel) > 1000:
            raise refused
        posix = PurePosixPath(rel)
        if posix.is_absolute() or PureWindowsPath(rel).drive or any(p in ("..", "") or p.startswith(".")
                                                                    for p in rel.split("/")):
            raise refused
        if posix.suffix.lower() not in SUFFIXES:
            raise refused
        root = self.roots().get(key)
        if root is None:
            raise DocumentError(404, "Document introuvable : ce dossier n'est pas (ou plus) indexé.")
        base = root.resolve()
        try:
            path = (base / posix).resolve(strict=True)
        except (OSError, RuntimeError):
            raise DocumentError(404, "Document introuvable : le fichier a été déplacé ou supprimé.") from None
        if not path.is_relative_to(base) or not path.is_file():
            raise refused
        manifest = self._manifest()
        try:
            known = (str(root), rel) in manifest.files(str(root))
        finally:
            manifest.close()
        if not known:
            raise refused
        return Resolved(root, rel, path)

    def documents(self, found: Resolved, record_id: str | None) -> list[Document]:
        """The documents Carrefour indexed from the file (only the cited record of a JSONL): loaded the same
        way as by the ingestion, so the passage offsets hold. A few recent files are kept in memory."""
        from ingest import loaders

        stat = found.path.stat()
        key = (str(found.path), stat.st_mtime_ns, stat.st_size, record_id)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        if record_id and found.path.suffix.lower() == ".jsonl":
            docs = _jsonl_record(found, record_id)
        else:
            docs = loaders.load(found.path, found.rel).documents
        with self._lock:
            self._cache[key] = docs
            while len(self._cache) > 8:
                self._cache.popitem(last=False)
        return docs

    def page(self, key: str, rel: str, passage: str | None) -> tuple[Path | None, str]:
        """(a PDF to send as is, "") or (None, the HTML page)."""
        found = self.resolve(key, rel)
        if found.path.suffix.lower() == ".pdf":
            return found.path, ""
        chunk = self.lookup(passage) if self.lookup and passage else None
        if chunk and (chunk.source != rel or Path(chunk.root) != found.root):
            chunk = None
        docs = self.documents(found, chunk.record_id if chunk else None)
        if chunk:
            docs = [d for d in docs if d.record_id == chunk.record_id] or docs
        return None, document_page(found, docs, chunk)

    def response(self, request):  # type: ignore[no-untyped-def]
        """Starlette endpoint: `GET /document?root=KEY&path=REL[&passage=CHUNK_ID]`."""
        from starlette.responses import FileResponse, HTMLResponse

        params = request.query_params
        try:
            pdf, page = self.page(params.get("root", ""), params.get("path", ""), params.get("passage"))
        except DocumentError as exc:
            return HTMLResponse(message_page(str(exc)), status_code=exc.status, headers=SAFE_HEADERS)
        except CarrefourError as exc:
            return HTMLResponse(message_page(f"Document illisible : {exc}"), status_code=500, headers=SAFE_HEADERS)
        if pdf is not None:
            return FileResponse(pdf, media_type="application/pdf", content_disposition_type="inline",
                                filename=pdf.name, headers={"X-Content-Type-Options": "nosniff"})
        return HTMLResponse(page, headers=SAFE_HEADERS)


def _jsonl_record(found: Resolved, record_id: str) -> list[Document]:
    from ingest.loaders import jsonl

    wanted = json.dumps(record_id, ensure_ascii=False)[1:-1]
    with found.path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if wanted in line:
                docs = jsonl.load(line.encode("utf-8"), found.rel, found.path.stem).documents
                if any(d.record_id == record_id for d in docs):
                    return docs
    return []


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:48rem;margin:2rem auto;
padding:0 1rem;color:#1f2937;line-height:1.6;background:#fff}
h1{font-size:1.4rem;margin-bottom:.2rem} h2{font-size:1.1rem;margin-top:2rem;color:#1e3a8a}
.meta{color:#6b7280;font-size:.9rem} .text{white-space:pre-wrap;font-size:1.02rem}
mark{background:#fde68a;padding:.1rem 0;scroll-margin-top:30vh} .note{background:#eff6ff;padding:.6rem 1rem;border-radius:.4rem}
"""


def _html(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width,initial-scale=1"><title>{escape(title)}</title><style>{STYLE}</style>'
            f"</head><body>{body}</body></html>")


def message_page(message: str) -> str:
    return _html("Carrefour", f"<h1>Carrefour</h1><p class=\"note\">{escape(message)}</p>")


def _text(doc: Document, chunk: Chunk | None) -> str:
    text = doc.text
    if chunk is None or (chunk.record_id or None) != (doc.record_id or None):
        return escape(text)
    start, end = chunk.start, chunk.end
    if text[start:end] != chunk.text:  # offsets of another version of the file: fall back to a search
        start = text.find(chunk.text)
        end = start + len(chunk.text)
    if start < 0:
        return escape(text)
    return f'{escape(text[:start])}<mark id="passage">{escape(text[start:end])}</mark>{escape(text[end:])}'


def document_page(found: Resolved, docs: list[Document], chunk: Chunk | None) -> str:
    title = docs[0].title if len(docs) == 1 else found.path.name
    parts = [f"<h1>{escape(title)}</h1>",
             f'<p class="meta">Fichier : {escape(found.rel)} — dossier {escape(found.root.name)}. '
             "Texte tel qu'indexé par Carrefour" + (" ; le passage cité est surligné." if chunk else ".") + "</p>"]
    if not docs:
        parts.append('<p class="note">Ce passage n\'existe plus dans le fichier : il a changé depuis l\'indexation.</p>')
    for doc in docs[:MAX_RECORDS]:
        if len(docs) > 1:
            parts.append(f"<h2>{escape(doc.title)}</h2>")
        parts.append(f'<div class="text">{_text(doc, chunk)}</div>')
    if len(docs) > MAX_RECORDS:
        parts.append(f'<p class="note">… et {len(docs) - MAX_RECORDS} autres enregistrements non affichés.</p>')
    return _html(title, "".join(parts))
