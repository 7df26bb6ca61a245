"""PDF (pypdf): page text without running headers and footers, de-hyphenated and unwrapped, with
the page where each part starts and sections from `TITRE …` / `Article …` headings. A page without a
usable text layer is read by OCR (`ingest.ocr`) when a reader is given; text pages are kept as they are."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from assistant.errors import LoadError, NoTextError
from assistant.types import Document
from ingest import limits
from ingest.clean import clean_lines, normalise_line, split_lines
from ingest.loaders import Loaded, first_line_title, meaningful_title, sections_from_headings

if TYPE_CHECKING:
    from pypdf import PdfReader

    from ingest.ocr import PageReader

NO_TEXT_LAYER = (
    "aucune couche texte (document scanné ?) : la reconnaissance de caractères (OCR) n'est pas "
    "disponible ; fournissez une version texte du PDF"
)
UNREADABLE = "PDF illisible ou tronqué ({reason}) : ré-exportez le document ou remplacez le fichier"
NEEDS_PASSWORD = "PDF protégé par mot de passe : relancez avec --pdf-password MOT_DE_PASSE"
WRONG_PASSWORD = "mot de passe PDF incorrect : vérifiez la valeur donnée à --pdf-password"
NEEDS_CRYPTOGRAPHY = "PDF chiffré en AES : installez le paquet « cryptography » ou fournissez une version non protégée"
NO_TEXT_LAYER_OCR = "aucune couche texte (document scanné ?) et pas d'OCR possible : {reason}"
SCANNED_SKIPPED = "page(s) {pages} sans couche texte (scannées ?) : leur contenu n'est pas indexé ; {reason}"
OCR_READ = (
    "page(s) {pages} sans couche texte lues par reconnaissance de caractères (OCR) : "
    "vérifiez les citations sur l'image de la page"
)
OCR_EMPTY = "page(s) {pages} : la reconnaissance de caractères (OCR) n'y a rien lu ; leur contenu n'est pas indexé"
# Below this many letters a page with an image is taken for a scan (a stamped page number or a
# caption is not a text layer); the OCR text is kept only when it holds more letters.
MIN_LETTERS = 20
# Tesseract's usual misreading of ordinals: « ler janvier », « article ler », « lre partie » (no such French words).
_OCR_ORDINAL = re.compile(r"\bl(er|re)\b")  # not « Ier »: TITRE Ier is right

_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d+\s*(?:/|sur)\s*\d+$|^[-–—]\s*\d+\s*[-–—]$|^page\s+\d+$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_MARKDOWN_HASHES = re.compile(r"^#+\s*")  # level-6 headings that LibreOffice printed as `###### …`
_ARTICLE = re.compile(
    r"^(?:Article|ARTICLE)\s+(?:(?:LO|L|R\*?|D\*?|A)\.?\s?)?"
    r"(?:\d+(?:er)?(?:[-.]\d+)*(?:\s(?:bis|ter|quater|quinquies|sexies|[A-Z]))?"
    r"|premier|unique|[Aa]nnexe|ANNEXE|préliminaire|liminaire)\.?$"
)
_RANK = r"(?:[IVXLC]+|\d+|I[Ee][Rr]|I[Rr][Ee]|UNIQUE|[Uu]nique|PRÉLIMINAIRE|[Pp]réliminaire|PREMIER|[Pp]remier)"
_STRUCTURE = re.compile(
    rf"^(?:(?P<part>[A-ZÀ-Þ]+ PARTIE|Partie [a-zé]+)"
    rf"|(?P<kw>LIVRE|Livre|TITRE|Titre|CHAPITRE|Chapitre|SECTION|Section|SOUS-SECTION|Sous-section"
    rf"|PARAGRAPHE|Paragraphe|SOUS-PARAGRAPHE|Sous-paragraphe)\s+{_RANK})"
    r"(?:\s*[:.―—–-]\s*.*)?$"
)
_LEVELS = {
    "livre": 2,
    "titre": 3,
    "chapitre": 4,
    "section": 5,
    "sous-section": 6,
    "paragraphe": 7,
    "sous-paragraphe": 8,
}
ARTICLE_LEVEL = 9
MAX_HEADING = 200


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs damaged-file warnings ("EOF marker not found") through `logging`; they would reach
    stderr through the last-resort handler. The loader reports problems itself."""
    logger = logging.getLogger("pypdf")
    handler, propagate = logging.NullHandler(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _open(data: bytes, source: str, password: str | None) -> PdfReader:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(io.BytesIO(data))
    except DependencyError as exc:  # AES encryption without the `cryptography` package
        raise LoadError(source, NEEDS_CRYPTOGRAPHY) from exc
    except Exception as exc:  # pypdf raises many kinds of errors on a damaged file, not only PdfReadError
        raise LoadError(source, UNREADABLE.format(reason=exc)) from exc
    if reader.is_encrypted:
        _decrypt(reader, source, password)
    return reader


def _decrypt(reader: PdfReader, source: str, password: str | None) -> None:
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    # The empty password opens files that only restrict printing or copying.
    candidates = [password, ""] if password else [""]
    try:
        if any(reader.decrypt(c) != PasswordType.NOT_DECRYPTED for c in candidates):
            return
    except DependencyError as exc:
        raise LoadError(source, NEEDS_CRYPTOGRAPHY) from exc
    raise LoadError(source, NEEDS_PASSWORD if password is None else WRONG_PASSWORD)


def _page_lines(reader: PdfReader, source: str) -> tuple[list[list[str]], list[int]]:
    """Normalised non-empty lines of each page, and the pages pypdf could not read."""
    try:
        pages = list(reader.pages)
    except Exception as exc:
        raise LoadError(source, UNREADABLE.format(reason=exc)) from exc
    limits.check_pages(len(pages), source)
    out: list[list[str]] = []
    failed: list[int] = []
    for number, page in enumerate(pages, 1):
        try:
            raw = page.extract_text()
        except Exception:  # noqa: BLE001 - one damaged page should not lose the rest of the document
            failed.append(number)
            raw = ""
        out.append([line for line in map(normalise_line, split_lines(raw)) if line])
    return out, failed


def _letters(lines: list[str]) -> int:
    return sum(c.isalpha() for line in lines for c in line)


def _has_image(page: object) -> bool:
    try:
        return len(page.images) > 0  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - a damaged resource dictionary: let the OCR decide
        return True


def _scanned(reader: PdfReader, pages: list[list[str]], failed: list[int]) -> list[int]:
    """Pages (1-based) without a usable text layer: no text at all, or a few letters over an image."""
    out = []
    for number, lines in enumerate(pages, 1):
        if number in failed:
            continue
        if not lines or (_letters(lines) < MIN_LETTERS and _has_image(reader.pages[number - 1])):
            out.append(number)
    return out


def _page_list(pages: list[int]) -> str:
    return ", ".join(map(str, pages))


def _paragraphs(lines: list[str]) -> list[str]:
    """OCR lines with Tesseract's paragraph breaks kept as one blank line (a text layer has none), none at the
    edges of the page: a speaker's turn or a list item then starts its own paragraph."""
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return out


def _edges(pages: list[list[str]]) -> list[list[str]]:
    """Pages without blank first or last lines (left by a removed header on an OCR page)."""
    out = []
    for lines in pages:
        start, end = 0, len(lines)
        while start < end and not lines[start]:
            start += 1
        while end > start and not lines[end - 1]:
            end -= 1
        out.append(lines[start:end])
    return out


def _read_scans(
    data: bytes, pages: list[list[str]], scanned: list[int], ocr: PageReader | None, password: str | None
) -> tuple[list[int], list[str]]:
    """Replace the lines of scanned pages by their OCR text (in place); return the pages read and warnings."""
    if ocr is None:
        return [], [SCANNED_SKIPPED.format(pages=_page_list(scanned), reason="OCR non disponible")]
    reason = ocr.unavailable()
    if reason is not None:
        return [], [SCANNED_SKIPPED.format(pages=_page_list(scanned), reason=reason)]
    texts = ocr.read(data, scanned, password)
    read, empty = [], []
    for number in scanned:
        lines = _paragraphs([_OCR_ORDINAL.sub(r"1\1", line)
                             for line in map(normalise_line, split_lines(texts.get(number, "")))])
        if _letters(lines) > _letters(pages[number - 1]):
            pages[number - 1] = lines
            read.append(number)
        elif not pages[number - 1]:
            empty.append(number)
    warnings = [OCR_READ.format(pages=_page_list(read))] if read else []
    if empty:
        warnings.append(OCR_EMPTY.format(pages=_page_list(empty)))
    return read, warnings


def _running_key(line: str) -> str:
    # A heading is never a running line, even when every page starts with one (`Article 1`, `Article 2`…).
    return "" if heading_level(line) is not None else _DIGITS.sub("#", line.lower())


def drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Remove headers and footers: a first or last line repeated (digits aside) on at least half of
    the pages and at least two, and standalone page numbers (`Page 3 / 8`, `3 / 8`, `- 3 -`)."""
    pages = [list(lines) for lines in pages]
    threshold = max(2, (sum(1 for p in pages if p) + 1) // 2)
    for _ in range(2):  # a header may take two lines
        pages = _edges(pages)  # an OCR page keeps blank lines between paragraphs
        counts = Counter(k for p in pages if p for k in {_running_key(p[0]), _running_key(p[-1])} if k)
        removed = False
        for lines in pages:
            for index in (0, -1):
                if lines and counts.get(_running_key(lines[index]), 0) >= threshold:
                    del lines[index]
                    removed = True
        if not removed:
            break
    pages = _edges(pages)
    for lines in pages:
        while lines and _PAGE_NUMBER.match(lines[0]):
            del lines[0]
        while lines and _PAGE_NUMBER.match(lines[-1]):
            del lines[-1]
    return _edges(pages)


def heading_level(line: str) -> int | None:
    """Level of a legal heading line (`CINQUIÈME PARTIE …` 1 … `Article L5214-16` 9), else None."""
    if len(line) > MAX_HEADING:
        return None
    line = _MARKDOWN_HASHES.sub("", line)
    if _ARTICLE.match(line):
        return ARTICLE_LEVEL
    m = _STRUCTURE.match(line)
    if m is None:
        return None
    return 1 if m.group("part") else _LEVELS[m.group("kw").lower()]


@dataclass(frozen=True)
class _Line:
    text: str
    page: int
    level: int | None = None


def _classify(pages: list[list[str]]) -> list[_Line]:
    """Lines with their page and heading level; a structural heading wrapped over one or two lines
    (`TITRE Ier : ÉTABLISSEMENTS … ⏎ INTERCOMMUNALE`) gets its continuation back when the next
    heading follows it, as in legal texts where a TITRE is always followed by a heading."""
    lines = [_Line(text, page, heading_level(text)) for page, texts in enumerate(pages) for text in texts]
    out: list[_Line] = []
    i = 0
    while i < len(lines):
        line, taken = lines[i], 0
        if line.level is not None:
            taken = _continuation(lines, i) if line.level < ARTICLE_LEVEL else 0
            parts = [_MARKDOWN_HASHES.sub("", line.text), *(c.text for c in lines[i + 1 : i + 1 + taken] if c.text)]
            line = replace(line, text=" ".join(parts))
        out.append(line)
        i += 1 + taken
    return out


def _continuation(lines: list[_Line], i: int) -> int:
    """How many lines after heading `i` continue it: the (at most two, blank lines aside) followed by a heading."""
    filled = [j for j in range(i + 1, min(len(lines), i + 8)) if lines[j].text][:3]
    for taken in (1, 2):
        if len(filled) <= taken:
            break
        between = [lines[j] for j in filled[:taken]]
        if lines[filled[taken]].level is not None and all(
            c.level is None and len(c.text) <= MAX_HEADING // 2 for c in between
        ):
            return filled[taken - 1] - i
    return 0


def _layout(lines: list[_Line], page_count: int) -> tuple[str, tuple[int, ...], list[tuple[int, int, int, str]]]:
    """Clean the whole document at once (words and sentences cross pages); headings stand alone."""
    raw: list[str] = []
    owner: list[int] = []  # index in `lines` of each raw line, -1 for the blank lines around headings
    for index, line in enumerate(lines):
        block = ["", line.text, ""] if line.level is not None else [line.text]
        raw.extend(block)
        owner.extend(index if text else -1 for text in block)
    text, starts = clean_lines(raw, dehyphenate=True, unwrap=True)
    first_offset: dict[int, int] = {}
    headings: list[tuple[int, int, int, str]] = []
    for raw_index, index in enumerate(owner):
        start = starts[raw_index]
        if index < 0 or start is None:
            continue
        line = lines[index]
        first_offset.setdefault(line.page, start)
        if line.level is not None:
            headings.append((start, start + len(line.text), line.level, line.text))
    page_starts, following = [0] * page_count, len(text)
    for page in reversed(range(page_count)):
        following = first_offset.get(page, following)
        page_starts[page] = following
    if page_starts:
        page_starts[0] = 0
    return text, tuple(page_starts), headings


def load(
    data: bytes, source: str, stem: str, *, pdf_password: str | None = None, ocr: PageReader | None = None
) -> Loaded:
    with _quiet_pypdf():
        reader = _open(data, source, pdf_password)
        pages, failed = _page_lines(reader, source)
        scanned = _scanned(reader, pages, failed)
        title = meaningful_title(_metadata_title(reader))
    if failed and len(failed) == len(pages):
        raise LoadError(source, UNREADABLE.format(reason="aucune page lisible"))
    warnings = [f"page {n} illisible : ignorée" for n in failed]
    ocr_pages: list[int] = []
    if scanned:
        if len(scanned) == len(pages) - len(failed) and (ocr is None or ocr.unavailable() is not None):
            raise NoTextError(source, NO_TEXT_LAYER if ocr is None else NO_TEXT_LAYER_OCR.format(
                reason=ocr.unavailable()))
        ocr_pages, notes = _read_scans(data, pages, scanned, ocr, pdf_password)
        warnings += notes
    if not any(pages):
        raise NoTextError(source, NO_TEXT_LAYER)
    lines = _classify(drop_running_lines(pages))
    text, page_starts, headings = _layout(lines, len(pages))
    if not text:
        raise NoTextError(source, NO_TEXT_LAYER)
    document = Document(
        source=source,
        text=text,
        title=title or first_line_title(text, stem),
        sections=sections_from_headings(text, headings),
        page_starts=page_starts,
        metadata={"pages": len(pages)},
        ocr_pages=frozenset(ocr_pages),
    )
    return Loaded([document], warnings)


def _metadata_title(reader: PdfReader) -> str | None:
    try:
        metadata = reader.metadata
        return metadata.title if metadata is not None else None
    except Exception:  # noqa: BLE001 - a damaged info dictionary only costs the title
        return None
