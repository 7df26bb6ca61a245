"""File loaders: one small module per format, picked by suffix; each returns cleaned `Document`s.

Texts come out already cleaned (`ingest.clean`): offsets in `sections` and `page_starts` refer to
the final text, so it must not be cleaned again downstream. Heading lines stay in the text as their
own paragraph, but a section spans only the body under its heading (the heading is in its path);
text before the first heading is a section with path None.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from assistant.errors import LoadError, NoTextError
from assistant.types import Document, Section
from ingest import limits
from ingest.clean import clean_text

if TYPE_CHECKING:
    from ingest.ocr import PageReader

_MODULES = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
}
SUFFIXES: frozenset[str] = frozenset(_MODULES)
EMPTY = "fichier vide : rien à indexer"
NO_TEXT = "aucun texte à indexer dans ce fichier (seulement de la mise en forme ou des métadonnées)"
PATH_SEPARATOR = " > "
_MEANINGLESS_TITLES = {"untitled", "sans titre", "titre", "title", "document", "doc", "présentation powerpoint"}
_FILE_EXTENSIONS = (".doc", ".docx", ".pdf", ".odt", ".rtf", ".txt", ".indd", ".tex", ".ppt", ".pptx", ".xls")
MAX_TITLE = 150
ENCODING_WARNING = (
    "encodage Windows-1252/Latin-1 détecté (pas UTF-8) : texte converti ; "
    "enregistrez le fichier en UTF-8 pour éviter ce message"
)


@dataclass(frozen=True)
class Loaded:
    """What a file yields: its documents, and French one-line warnings for the user (without the
    file name: the caller prefixes it, as `LoadError` does)."""

    documents: list[Document]
    warnings: list[str] = field(default_factory=list)


class _Loader(Protocol):
    def __call__(self, data: bytes, source: str, stem: str, *, pdf_password: str | None) -> Loaded: ...


def load(path: Path, source: str, *, pdf_password: str | None = None, ocr: PageReader | None = None) -> Loaded:
    """Load one file; `source` is its POSIX path relative to the ingested root. `ocr` reads the
    scanned pages of a PDF (none given: they are reported, not read)."""
    suffix = path.suffix.lower()
    if suffix not in _MODULES:
        raise LoadError(
            source,
            f"format non pris en charge ({suffix or 'sans extension'}) : convertissez-le en PDF, DOCX, "
            "Markdown, texte, HTML ou JSONL",
        )
    try:
        limits.check_size(path.stat().st_size, source)
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(
            source, f"fichier illisible ({exc.strerror}) : vérifiez qu'il existe et qu'il est lisible"
        ) from exc
    if not data.strip() or data.strip() == b"\xef\xbb\xbf":
        raise NoTextError(source, EMPTY)
    # Formats are imported on first use: pypdf, python-docx and bs4 stay out of `--help`.
    module = importlib.import_module(f"{__name__}.{_MODULES[suffix]}")
    if suffix == ".pdf":
        return module.load(data, source, path.stem, pdf_password=pdf_password, ocr=ocr)  # type: ignore[no-any-return]
    loader: _Loader = module.load
    return loader(data, source, path.stem, pdf_password=pdf_password)


# ---- helpers shared by the format modules -------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A heading (level ≥ 1) or a body paragraph (level None) of a structured document."""

    text: str
    level: int | None = None


def assemble(blocks: Iterable[Block], *, dehyphenate: bool = False) -> tuple[str, tuple[Section, ...]]:
    """Join cleaned blocks with blank lines; sections from the heading path of each body."""
    parts: list[str] = []
    size = 0
    headings: list[tuple[int, int, int, str]] = []  # (start, end, level, text)
    for number, block in enumerate(blocks, 1):
        if number % 1000 == 0:
            limits.check(blocks=number, chars=size)
        text = clean_text(block.text, dehyphenate=dehyphenate)
        if block.level is not None:
            text = " ".join(text.split())
        if not text:
            continue
        if parts:
            parts.append("\n\n")
            size += 2
        if block.level is not None:
            headings.append((size, size + len(text), block.level, text))
        parts.append(text)
        size += len(text)
    limits.check(chars=size)
    text = "".join(parts)
    return text, sections_from_headings(text, headings)


def sections_from_headings(text: str, headings: list[tuple[int, int, int, str]]) -> tuple[Section, ...]:
    """Sections between headings: a body spans from the end of its heading to the next heading;
    its path is the chain of enclosing headings (a heading closes those of its level and below).
    Blank bodies are left out."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    body_start, path = 0, None
    for start, end, level, title in [*headings, (len(text), len(text), 0, "")]:
        _add_section(sections, text, body_start, start, path)
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        body_start, path = end, PATH_SEPARATOR.join(t for _, t in stack)
    return tuple(sections)


def _add_section(sections: list[Section], text: str, start: int, end: int, path: str | None) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        sections.append(Section(start, end, path))


def meaningful_title(value: object) -> str | None:
    """A metadata title, unless it is a placeholder or a file name (`Microsoft Word - x.docx`)."""
    if not isinstance(value, str):
        return None
    title = " ".join(value.split())
    low = title.lower()
    if (
        len(title) < 3
        or not any(c.isalpha() for c in title)
        or low in _MEANINGLESS_TITLES
        or low.startswith("microsoft ")
        or low.endswith(_FILE_EXTENSIONS)
    ):
        return None
    return title


def first_line_title(text: str, stem: str) -> str:
    """The first non-empty line, cut at a word boundary when long; the file stem if there is none."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            if len(line) <= MAX_TITLE:
                return line
            return line[:MAX_TITLE].rsplit(" ", 1)[0] + " …"
    return stem


def decode_text(data: bytes, source: str) -> tuple[str, list[str]]:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 / Latin-1 with a warning.
    NUL bytes without a UTF-16 BOM mean a binary file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            raise LoadError(source, "texte UTF-16 illisible : enregistrez le fichier en UTF-8") from exc
    if b"\x00" in data:
        raise LoadError(
            source, "fichier binaire, pas du texte : convertissez-le en texte UTF-8 ou dans un format pris en charge"
        )
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:  # the 5 bytes cp1252 leaves undefined
        text = data.decode("latin-1")
    return text, [ENCODING_WARNING]


def require_text(text: str, source: str, message: str = NO_TEXT) -> None:
    if not text.strip():
        raise NoTextError(source, message)
