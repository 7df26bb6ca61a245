"""OCR of scanned PDF pages: mixed PDFs keep their text pages, scans are read, flagged `ocr`, cached;
Tesseract missing or OCR off are reported with what to do. Scans are made here from known text."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from assistant.errors import NoTextError
from assistant.settings import Settings
from assistant.stores import Store
from evals.scans import CLEAN, NOISY, cer, image_pdf, scanned_copy, text_pages
from ingest.loaders import load
from ingest.ocr import INSTALL, OCR_OFF, TESSERACT_MISSING, ScriptedReader, TesseractReader
from ingest.pipeline import Ingestor
from ingest.split import split_document
from tests.conftest import SHARED_CORPUS, needs_corpus

LOI = SHARED_CORPUS / "pdf" / "loi-2014-173-programmation-ville-cohesion-urbaine.pdf"
SEED = SHARED_CORPUS.parent / "seeds" / "journee-nationale-carrefour-des-metiers-2017-12-11.txt"
KNOWN = (
    "Le conseil citoyen est composé d'habitants tirés au sort et de représentants des associations "
    "et acteurs locaux du quartier prioritaire.\n\n"
    "Il participe à l'élaboration, à la mise en œuvre et à l'évaluation du contrat de ville."
)
OCR_TEXT = "Texte lu par reconnaissance : les conseils citoyens sont associés au pilotage du contrat de ville."


@cache
def _tesseract_reason() -> str | None:
    return TesseractReader().unavailable()


needs_tesseract = pytest.mark.skipif(
    _tesseract_reason() is not None,
    reason=f"Tesseract et son modèle français absents de ce poste ({INSTALL}) ; la CI les installe",
)


@cache
def _scan_pdf() -> bytes:
    return image_pdf(text_pages(KNOWN))


@cache
def _loi_start() -> bytes:
    """The first three pages of the shared law PDF (text layer)."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(LOI).pages[:3]:
        writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@cache
def _mixed_pdf() -> bytes:
    return scanned_copy(_loi_start(), [2], CLEAN, dpi=100)


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@needs_corpus
def test_mixed_pdf_keeps_text_pages_and_reads_only_the_scanned_one(tmp_path: Path) -> None:
    path = _write(tmp_path / "mixte.pdf", _mixed_pdf())
    reader = ScriptedReader({2: OCR_TEXT})
    loaded = load(path, "mixte.pdf", ocr=reader)
    doc = loaded.documents[0]
    original = load(_write(tmp_path / "loi.pdf", _loi_start()), "loi.pdf").documents[0]

    assert reader.calls == [(2,)]
    assert doc.ocr_pages == {2}
    assert "lues par reconnaissance de caractères" in loaded.warnings[0]
    # Page 1 comes from its text layer, unchanged; page 2 is the OCR text, not the original's.
    assert doc.text[: doc.page_starts[1]].strip() == original.text[: original.page_starts[1]].strip()
    assert OCR_TEXT in doc.text[doc.page_starts[1] : doc.page_starts[2]]
    chunks = split_document(doc, "/racine", 1200, 150)
    assert all(c.metadata.get("ocr") is True for c in chunks if OCR_TEXT[:30] in c.text)
    on_text_pages = [c for c in chunks if c.page == c.page_end and c.page != 2]
    assert on_text_pages and not any(c.metadata.get("ocr") for c in on_text_pages)


def test_image_only_pdf_without_tesseract_names_the_install_command(tmp_path: Path) -> None:
    path = _write(tmp_path / "scan.pdf", _scan_pdf())
    with pytest.raises(NoTextError) as info:
        load(path, "scan.pdf", ocr=ScriptedReader({}, reason=TESSERACT_MISSING))
    assert info.value.path == "scan.pdf"
    assert "apt-get install tesseract-ocr tesseract-ocr-fra" in info.value.reason
    assert TesseractReader(binary="tesseract-introuvable").unavailable() == TESSERACT_MISSING


@needs_corpus
def test_mixed_pdf_without_tesseract_keeps_its_text_pages_with_a_warning(tmp_path: Path) -> None:
    path = _write(tmp_path / "mixte.pdf", _mixed_pdf())
    loaded = load(path, "mixte.pdf", ocr=ScriptedReader({2: OCR_TEXT}, reason=TESSERACT_MISSING))
    (doc,) = loaded.documents
    assert not doc.ocr_pages and OCR_TEXT not in doc.text
    assert "Article 1" in doc.text
    assert any("page(s) 2 sans couche texte" in w and INSTALL in w for w in loaded.warnings)


def test_ingestion_reports_the_scan_then_reads_it_once_ocr_is_there(
    settings: Settings, memory_store: Store, embedder, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    root = tmp_path / "corpus"
    _write(root / "actes" / "scan.pdf", _scan_pdf())
    _write(root / "note.md", "# Note\n\nLe CGET accompagne les intercommunalités.\n".encode())

    missing = Ingestor(settings, embedder, memory_store, quiet=True, ocr=ScriptedReader({}, reason=TESSERACT_MISSING))
    report = missing.run([root])
    assert report.added == 1
    assert [f["path"] for f in report.failed] == [str(root / "actes" / "scan.pdf")]
    assert INSTALL in report.failed[0]["error"]

    reader = ScriptedReader({1: OCR_TEXT})
    report = Ingestor(settings, embedder, memory_store, quiet=True, ocr=reader).run([root])
    assert (report.added, report.unchanged, report.failed) == (1, 1, [])
    scanned = [c for c in memory_store.chunks() if c.source == "actes/scan.pdf"]
    assert scanned and all(c.metadata.get("ocr") is True and c.page == 1 for c in scanned)
    assert all(not c.metadata.get("ocr") for c in memory_store.chunks() if c.source == "note.md")

    report = Ingestor(settings, embedder, memory_store, quiet=True, ocr=reader).run([root])
    assert report.unchanged == 2 and reader.calls == [(1,)]  # a no-op re-ingest asks for no OCR


@needs_corpus
def test_mixed_pdf_is_read_again_when_ocr_becomes_available(
    settings: Settings, memory_store: Store, embedder, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    root = tmp_path / "corpus"
    _write(root / "mixte.pdf", _mixed_pdf())
    report = Ingestor(settings, embedder, memory_store, quiet=True,
                      ocr=ScriptedReader({}, reason=TESSERACT_MISSING)).run([root])
    assert report.added == 1 and report.warnings
    report = Ingestor(settings, embedder, memory_store, quiet=True, ocr=ScriptedReader({2: OCR_TEXT})).run([root])
    assert report.updated == 1
    assert any(OCR_TEXT[:40] in c.text for c in memory_store.chunks())


def test_ocr_off_is_a_setting_and_is_reported(
    memory_store: Store, embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("CARREFOUR_OCR", "off")
    settings = Settings(data_dir=tmp_path / "data", embedder="hash")
    assert settings.ocr is False
    root = tmp_path / "corpus"
    _write(root / "scan.pdf", _scan_pdf())
    report = Ingestor(settings, embedder, memory_store, quiet=True).run([root])
    assert report.failed and OCR_OFF in report.failed[0]["error"] and "CARREFOUR_OCR" in report.failed[0]["error"]


def test_ocr_ordinals_are_fixed_but_roman_numerals_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "scan.pdf", _scan_pdf())
    text = "TITRE Ier\n\nArticle ler\n\nÀ compter du ler janvier 2015, la lre réunion se tient en mairie."
    doc = load(path, "scan.pdf", ocr=ScriptedReader({1: text})).documents[0]
    assert "TITRE Ier" in doc.text and "Article 1er" in doc.text
    assert "du 1er janvier 2015, la 1re réunion" in doc.text


@needs_tesseract
def test_tesseract_reads_a_clean_page_and_caches_it(tmp_path: Path) -> None:
    data = _scan_pdf()
    first = TesseractReader(tmp_path / "cache")
    text = first.read(data, [1])[1]
    assert cer(KNOWN, text) < 0.03
    assert first.pages_read == 1
    again = TesseractReader(tmp_path / "cache")
    assert again.read(data, [1]) == {1: text}
    assert again.pages_read == 0  # from the cache


@pytest.mark.slow
@needs_tesseract
@needs_corpus
def test_tesseract_reads_a_noisy_skewed_scan_of_the_seed(tmp_path: Path) -> None:
    seed = SEED.read_text(encoding="utf-8")
    first_paragraphs = "\n\n".join(seed.strip().split("\n\n")[:4])
    data = image_pdf(text_pages(first_paragraphs))
    noisy = scanned_copy(data, None, NOISY)
    path = _write(tmp_path / "actes.pdf", noisy)
    doc = load(path, "actes.pdf", ocr=TesseractReader(tmp_path / "cache")).documents[0]
    assert doc.ocr_pages == {1}
    assert cer(first_paragraphs, doc.text) < 0.05
    assert "Sébastien Jallet" in doc.text and "CGET" in doc.text
