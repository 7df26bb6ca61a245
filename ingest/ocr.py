"""OCR of scanned PDF pages: PDFium (pypdfium2) renders each page, Tesseract's French model reads it.

Read pages are cached by the file's SHA-256 and the engine (Tesseract version, language, resolution), one JSON
file per PDF written after every page: re-reading a file, or resuming after a crash, costs no OCR again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

INSTALL = "sudo apt-get install tesseract-ocr tesseract-ocr-fra"
TESSERACT_MISSING = (
    "la reconnaissance de caractères (OCR) a besoin de Tesseract et de son modèle français, absents de ce "
    f"poste : installez-les ({INSTALL}) puis relancez l'ingestion"
)
FRENCH_MISSING = (
    "le modèle français de Tesseract (fra) n'est pas installé : installez-le (sudo apt-get install "
    "tesseract-ocr-fra) puis relancez l'ingestion"
)
RENDERER_MISSING = (
    "le paquet Python « pypdfium2 » (rendu des pages pour l'OCR) manque : installez-le "
    "(.venv/bin/pip install pypdfium2) puis relancez l'ingestion"
)
OCR_OFF = "la reconnaissance de caractères est désactivée (CARREFOUR_OCR=off) : réactivez-la (CARREFOUR_OCR=on)"
DPI = 300  # Tesseract is trained on ≈300 dpi text; 150 dpi costs ≈1 point of character error rate on the bench
PAGE_TIMEOUT = 180  # seconds; a page that takes longer is reported as unreadable, not waited on forever


class OcrError(Exception):
    """One page could not be read (renderer or Tesseract failed); the message is French."""


class PageReader(Protocol):
    """Reads the text of PDF pages from their image."""

    def unavailable(self) -> str | None:
        """Why OCR cannot run on this machine (French, with the command that fixes it), or None."""
        ...

    def read(self, data: bytes, pages: Sequence[int], password: str | None = None) -> dict[int, str]:
        """Text of the given pages (1-based) of the PDF `data`; a page that failed is left out."""
        ...


@dataclass
class ScriptedReader:
    """Fake OCR for tests: returns the text it was given for each page and records what was asked."""

    texts: Mapping[int, str]
    reason: str | None = None
    calls: list[tuple[int, ...]] = field(default_factory=list)

    def unavailable(self) -> str | None:
        return self.reason

    def read(self, data: bytes, pages: Sequence[int], password: str | None = None) -> dict[int, str]:
        self.calls.append(tuple(pages))
        return {p: self.texts[p] for p in pages if p in self.texts}


class DisabledReader:
    """What the ingestion uses under CARREFOUR_OCR=off."""

    def unavailable(self) -> str | None:
        return OCR_OFF

    def read(self, data: bytes, pages: Sequence[int], password: str | None = None) -> dict[int, str]:
        return {}


def _run(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    # One thread per Tesseract, two pages at once: 4 pages took 52 s and 70 s that way, 718 s as one page at a
    # time on two OpenMP threads (2 cores shared with other work: OpenMP threads spin while the cores are busy).
    # OMP_THREAD_LIMIT set by the user wins.
    env = {"OMP_THREAD_LIMIT": "1", **os.environ}
    return subprocess.run(args, input=data, capture_output=True, timeout=PAGE_TIMEOUT, env=env, check=False)


class TesseractReader:
    """The real reader: cheap to build; looks for Tesseract on first use."""

    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        lang: str = "fra",
        dpi: int = DPI,
        workers: int = 2,
        progress: bool = False,
        binary: str = "tesseract",
    ) -> None:
        self.cache_dir = cache_dir
        self.lang = lang
        self.dpi = dpi
        self.workers = max(1, workers)
        self.progress = progress
        self.binary = binary
        self._checked = False
        self._reason: str | None = None
        self._engine = ""
        self.pages_read = 0  # pages actually sent to Tesseract (not from the cache), for tests and benches

    def unavailable(self) -> str | None:
        if not self._checked:
            self._checked = True
            self._reason = self._check()
        return self._reason

    def _check(self) -> str | None:
        path = shutil.which(self.binary)
        if path is None:
            return TESSERACT_MISSING
        try:
            version = _run([path, "--version"])
            langs = _run([path, "--list-langs"])
        except (OSError, subprocess.SubprocessError):
            return TESSERACT_MISSING
        if self.lang not in (langs.stdout + langs.stderr).decode("utf-8", "replace").split():
            return FRENCH_MISSING
        try:
            import pypdfium2  # noqa: F401
        except ImportError:
            return RENDERER_MISSING
        first = (version.stdout or version.stderr).decode("utf-8", "replace").strip().splitlines()
        self._engine = f"{first[0] if first else 'tesseract'} {self.lang} {self.dpi}dpi"
        return None

    def read(self, data: bytes, pages: Sequence[int], password: str | None = None) -> dict[int, str]:
        if self.unavailable() is not None or not pages:
            return {}
        key = hashlib.sha256(data).hexdigest()
        cache = self._load_cache(key)
        out = {p: cache[p] for p in pages if p in cache}
        todo = [p for p in pages if p not in out]
        if todo:
            out.update(self._read_pages(data, todo, password, lambda p, text: self._save(key, cache, p, text)))
        return out

    def _read_pages(
        self, data: bytes, pages: list[int], password: str | None, done: Callable[[int, str], None]
    ) -> dict[int, str]:
        import pypdfium2 as pdfium
        from tqdm import tqdm

        out: dict[int, str] = {}
        bar = tqdm(total=len(pages), unit="page", desc="OCR", file=sys.stderr,
                   disable=not self.progress or not sys.stderr.isatty())
        pdf = pdfium.PdfDocument(data, password=password)
        try:
            with ThreadPoolExecutor(self.workers) as pool, bar:
                running: dict[int, Future[str]] = {}
                for page in pages:
                    # PDFium is not thread-safe: pages are rendered here, only Tesseract runs in the pool;
                    # at most `workers` page images wait in memory (≈9 MB each at 300 dpi).
                    while len(running) >= self.workers:
                        self._collect(running, out, done, bar)
                    try:
                        image = self._render(pdf, page)
                    except Exception:  # noqa: BLE001, S112 - a page PDFium cannot draw is left out, the rest read
                        continue
                    running[page] = pool.submit(self._tesseract, image)
                while running:
                    self._collect(running, out, done, bar)
        finally:
            pdf.close()
        return out

    def _collect(self, running: dict[int, Future[str]], out: dict[int, str], done: Callable[[int, str], None],
                 bar: object) -> None:
        page = next(iter(running))
        future = running.pop(page)
        try:
            text = future.result()
        except OcrError:
            return
        out[page] = text
        done(page, text)
        self.pages_read += 1
        bar.update(1)  # type: ignore[attr-defined]

    def _render(self, pdf: object, page: int) -> bytes:
        bitmap = pdf[page - 1].render(scale=self.dpi / 72, grayscale=True)  # type: ignore[index]
        buffer = io.BytesIO()
        bitmap.to_pil().save(buffer, "PNG")
        return buffer.getvalue()

    def _tesseract(self, png: bytes) -> str:
        args = [self.binary, "stdin", "stdout", "-l", self.lang, "--dpi", str(self.dpi)]
        try:
            result = _run(args, png)
        except (OSError, subprocess.SubprocessError) as exc:
            raise OcrError(str(exc)) from exc
        if result.returncode != 0:
            raise OcrError(result.stderr.decode("utf-8", "replace")[-300:])
        return result.stdout.decode("utf-8", "replace")

    # ---- cache ---------------------------------------------------------------------------------

    def _cache_path(self, key: str) -> Path | None:
        return self.cache_dir / f"{key}.json" if self.cache_dir else None

    def _load_cache(self, key: str) -> dict[int, str]:
        path = self._cache_path(key)
        if path is None or not path.exists():
            return {}
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # a damaged cache file is only lost work
        if stored.get("engine") != self._engine:
            return {}
        return {int(p): str(t) for p, t in stored.get("pages", {}).items()}

    def _save(self, key: str, cache: dict[int, str], page: int, text: str) -> None:
        cache[page] = text
        path = self._cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        payload = {"engine": self._engine, "pages": {str(p): t for p, t in sorted(cache.items())}}
        tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # atomic: a crash leaves the old cache or the new one, never half a file
