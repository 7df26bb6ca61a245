"""The staff tab: password check (rate-limited per client), upload and removal of documents in the corpus,
ingestion with progress, index status."""

from __future__ import annotations

import hmac
import logging
import math
import re
import shutil
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from assistant.embedders.cache import CachedEmbedder
from assistant.errors import CarrefourError
from assistant.service import Assistant
from assistant.settings import Settings
from ingest.pipeline import Ingestor, Report

log = logging.getLogger("carrefour.admin")
ALLOWED = (".pdf", ".docx", ".md", ".txt", ".html", ".htm", ".jsonl")
MAX_NAME = 120
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class UploadError(CarrefourError):
    pass


def check_password(settings: Settings, given: str | None) -> bool:
    """Constant-time comparison; always False when no admin password is configured."""
    expected = settings.admin_password
    return bool(expected) and hmac.compare_digest((given or "").encode(), (expected or "").encode())


class Guard:
    """Password attempts per client (its address). The first FREE_FAILURES failures cost nothing; each next one
    closes the door for twice as long (1 s, 2 s, 4 s… up to LOCKOUT), and while it is closed every attempt is
    refused at once without looking at the password, so neither speed nor a right guess leaks. 200 guesses used
    to take 10.6 s; now 20 take 18 hours. No thread sleeps: a flood costs nothing to refuse.
    A client that gave the right password may use Gradio's upload route for UNLOCKED seconds."""

    FREE_FAILURES = 3
    LOCKOUT = 24 * 3600.0
    UNLOCKED = 3600.0
    MAX_CLIENTS = 10_000  # remembered at most (the oldest are forgotten)

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, tuple[int, float]] = {}  # client → (failures, closed until)
        self._unlocked: dict[str, float] = {}  # client → last right password
        self._lock = threading.Lock()

    def check(self, settings: Settings, password: str | None, client: str) -> str | None:
        """None when the password is right and the client may try; else the French reason for a refusal."""
        if not settings.admin_password:
            return "Administration désactivée : CARREFOUR_ADMIN_PASSWORD n'est pas défini."
        now = self.clock()
        with self._lock:
            failures, until = self._failures.get(client, (0, 0.0))
            if now < until:
                return f"Trop d'essais de mot de passe : réessayez dans {_duration(until - now)}."
        if check_password(settings, password):
            with self._lock:
                self._failures.pop(client, None)
                self._unlocked[client] = now
                _forget_oldest(self._unlocked, self.MAX_CLIENTS)
            return None
        failures += 1
        wait = 0.0 if failures <= self.FREE_FAILURES else min(self.LOCKOUT, 2.0 ** (failures - self.FREE_FAILURES - 1))
        with self._lock:
            self._failures[client] = (failures, now + wait)
            _forget_oldest(self._failures, self.MAX_CLIENTS)
        log.warning("administration : mot de passe incorrect depuis %s (%d échec(s) de suite)", client, failures)
        return "Mot de passe incorrect."

    def unlocked(self, client: str) -> bool:
        with self._lock:
            when = self._unlocked.get(client)
        return when is not None and self.clock() - when < self.UNLOCKED


def _forget_oldest(table: dict[str, Any], size: int) -> None:
    while len(table) > size:
        table.pop(next(iter(table)))


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{math.ceil(seconds)} s"
    if seconds < 7200:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds / 3600)} h"


def safe_name(name: str) -> str:
    """The file's own name only (any folder part dropped), accents folded, other characters → "-", no leading
    dot; its extension must be one of ALLOWED."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    if suffix not in ALLOWED:
        raise UploadError(f"« {name} » : format non accepté ; formats possibles : "
                          f"{', '.join(s.lstrip('.').upper() for s in ALLOWED)}.")
    stem = _UNSAFE.sub("-", stem).strip(".-_")[: MAX_NAME - len(suffix)] or "document"
    return stem + suffix


@dataclass(frozen=True)
class Saved:
    original: str
    name: str | None  # None: refused
    message: str


def save_uploads(settings: Settings, files: Sequence[str | Path]) -> list[Saved]:
    """Copy uploaded files into the corpus's upload folder, each under its sanitised name."""
    target = settings.upload_dir.resolve()
    target.mkdir(parents=True, exist_ok=True)
    limit = settings.max_upload_mb * 1024 * 1024
    out: list[Saved] = []
    taken: set[str] = set()
    for f in files:
        src = Path(f)
        original = src.name
        try:
            name = _unique(safe_name(original), taken)
            if src.stat().st_size > limit:
                raise UploadError(f"« {original} » : fichier trop gros (plus de {settings.max_upload_mb} Mo).")
            dest = (target / name).resolve()
            if dest.parent != target:  # cannot happen after safe_name; kept as a last guard
                raise UploadError(f"« {original} » : nom de fichier refusé.")
            replaced = dest.exists()
            shutil.copyfile(src, dest)
            taken.add(name)
            out.append(Saved(original, name, f"{'remplace' if replaced else 'enregistré sous'} "
                                               f"{settings.upload_folder}/{name}"))
        except UploadError as exc:
            out.append(Saved(original, None, str(exc)))
        except OSError as exc:
            out.append(Saved(original, None, f"« {original} » : enregistrement impossible ({exc.strerror})."))
    return out


def _unique(name: str, taken: set[str]) -> str:
    """Two files of one upload whose names clean to the same one (« Été.md », « Ete.md ») both keep theirs:
    the second becomes « Ete-2.md ». A file sent again in a later upload replaces the first (a new version)."""
    stem, dot, suffix = name.rpartition(".")
    n = 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}{dot}{suffix}"
    return name


def uploaded_files(settings: Settings) -> list[str]:
    """Names of the documents in the upload folder, for the removal list."""
    folder = settings.upload_dir
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def remove_upload(assistant: Assistant, settings: Settings, name: str | None) -> str:
    """Delete one uploaded document and re-index the corpus: the way out of a file that makes trouble, without
    a shell on the server. Only a name of `uploaded_files` is accepted (never a path)."""
    if not name or name not in uploaded_files(settings):
        return '<p class="cf-error">Choisissez un document déposé à retirer.</p>'
    try:
        (settings.upload_dir / name).unlink()
    except OSError as exc:
        return f'<p class="cf-error">Impossible de retirer {escape(name)} : {escape(exc.strerror or str(exc))}.</p>'
    log.info("administration : document déposé retiré : %s", name)
    started = time.perf_counter()
    try:
        report = ingest_corpus(assistant, settings)
    except CarrefourError as exc:
        return f'<p class="cf-error">{escape(name)} retiré, mais réindexation impossible : {escape(str(exc))}</p>'
    removed = Saved(name, name, f"retiré de {settings.upload_folder}/")
    return report_html([removed], report, time.perf_counter() - started, title="Document retiré")


def ingest_corpus(assistant: Assistant, settings: Settings) -> Report:
    """Incremental ingestion of the whole corpus folder (the root `carrefour ingest` uses), then the
    assistant picks up the new keyword index. A cache opened in this thread: sqlite connections stay in
    the thread that made them."""
    inner = assistant.embedder.inner if isinstance(assistant.embedder, CachedEmbedder) else assistant.embedder
    embedder = CachedEmbedder(inner, settings.cache_path)
    try:
        report = Ingestor(settings, embedder, assistant.store, quiet=True).run([settings.corpus_dir])
    finally:
        embedder.close()
    assistant.reload()
    return report


def corpus_status(assistant: Assistant) -> dict[str, Any]:
    """What `carrefour status` reports (`ui.wiring.status`), read through the assistant's own store."""
    from ui.wiring import status

    return status(assistant.settings, assistant.embedder, assistant.store)


def _failures(items: list[dict[str, str]], key: str) -> str:
    return "".join(f"<li><code>{escape(Path(i['path']).name)}</code> : {escape(i[key])}</li>" for i in items)


def status_html(status: dict[str, Any]) -> str:
    rows = [(f"<li><b>{status['documents']}</b> documents, <b>{status['chunks']}</b> passages indexés "
             f"(modèle {escape(str(status['embedder']))})</li>")]
    for root, counts in status["roots"].items():
        rows.append(f"<li>Dossier <code>{escape(Path(root).name)}</code> : {counts['files']} fichiers</li>")
    last = status.get("last_run")
    if last:
        when = time.strftime("%d/%m/%Y à %H:%M", time.localtime(float(last["finished_at"])))
        rows.append(f"<li>Dernière indexation le {when} : {len(last.get('failed', []))} fichier(s) en échec</li>")
        if last.get("failed"):
            rows.append(f"<ul>{_failures(last['failed'], 'error')}</ul>")
    else:
        rows.append("<li>Aucune indexation enregistrée.</li>")
    return f'<div class="cf-admin"><h3>État de l\'index</h3><ul>{"".join(rows)}</ul></div>'


def report_html(saved: Sequence[Saved], report: Report | None, seconds: float, title: str = "Fichiers reçus") -> str:
    files = "".join(f"<li>{'✅' if s.name else '⛔'} <code>{escape(s.original)}</code> : {escape(s.message)}</li>"
                    for s in saved)
    parts = [f"<h3>{escape(title)}</h3><ul>{files}</ul>"]
    if report is not None:
        took = f"{seconds:.1f}".replace(".", ",")
        parts.append(
            f"<h3>Indexation terminée en {took} s</h3><p>{report.added} ajouté(s), {report.updated} mis à "
            f"jour, {report.unchanged} inchangé(s), {report.removed} retiré(s), {len(report.failed)} en échec. "
            f"L'index contient {report.documents} documents et {report.chunks} passages.</p>")
        if report.failed:
            parts.append(f"<p>Échecs :</p><ul>{_failures(report.failed, 'error')}</ul>")
        if report.warnings:
            parts.append(f"<p>Avertissements :</p><ul>{_failures(report.warnings, 'warning')}</ul>")
        if not report.failed:
            parts.append("<p>Les nouveaux documents sont consultables dès maintenant dans l'onglet Questions.</p>")
    return f'<div class="cf-admin">{"".join(parts)}</div>'


def upload_and_ingest(assistant: Assistant, settings: Settings, password: str | None,
                      files: Sequence[str | Path] | None, guard: Guard | None = None,
                      client: str = "local") -> Iterator[str]:
    """Yields HTML progress, then the per-file report. Checks the password itself: the hidden panel is
    no protection, its events can be called directly."""
    refused = (guard or Guard()).check(settings, password, client)
    if refused:
        yield f'<p class="cf-error">{escape(refused)} Déverrouillez d\'abord l\'administration.</p>'
        return
    if not files:
        yield '<p class="cf-error">Choisissez au moins un fichier à déposer.</p>'
        return
    saved = save_uploads(settings, files)
    if not any(s.name for s in saved):
        yield report_html(saved, None, 0)
        return
    yield report_html(saved, None, 0) + "<p>Indexation en cours…</p>"
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["report"] = ingest_corpus(assistant, settings)
        except CarrefourError as exc:
            result["error"] = str(exc)
        except Exception as exc:  # noqa: BLE001 — the tab must report it, not die
            result["error"] = f"erreur inattendue ({type(exc).__name__} : {exc})"

    started = time.perf_counter()
    thread = threading.Thread(target=work, name="carrefour-ingest", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.5)
        elapsed = time.perf_counter() - started
        yield (report_html(saved, None, 0) + '<p class="cf-progress">⏳ Indexation en cours (lecture, découpage, '
               f"encodage des passages)… {elapsed:.0f} s</p>")
    if "error" in result:
        yield report_html(saved, None, 0) + f'<p class="cf-error">Indexation impossible : {escape(result["error"])}</p>'
        return
    yield report_html(saved, result["report"], time.perf_counter() - started)
