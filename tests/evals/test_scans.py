"""The OCR benchmark's yardstick: edit distance and character error rate; scans made from known text."""

from __future__ import annotations

import io

from evals.scans import NOISY, cer, comparable, degrade, edit_distance, image_pdf, text_pages


def test_edit_distance_matches_known_values() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("flaw", "lawn") == 2
    assert edit_distance("", "abc") == edit_distance("abc", "") == 3
    assert edit_distance("élève", "eleve") == 2
    assert edit_distance("même texte", "même texte") == 0


def test_cer_ignores_layout_but_not_characters() -> None:
    assert comparable("amélio-\nrer  les\tconditions’") == "améliorer les conditions'"
    assert cer("Le conseil citoyen", "Le conseil\ncitoyen") == 0.0
    assert cer("Le 1er janvier", "Le ler janvier") == 1 / 14


def test_scans_are_image_only_pdfs() -> None:
    from pypdf import PdfReader

    pages = text_pages("Les conseils citoyens.\n\n" * 80)
    assert len(pages) >= 2 and pages[0].size == (2481, 3507)
    spoiled = degrade(pages[0], NOISY, seed=1)
    assert spoiled.getpixel((5, 5)) != 255  # grey paper
    reader = PdfReader(io.BytesIO(image_pdf(pages)))
    assert len(reader.pages) == len(pages)
    assert reader.pages[0].extract_text() == "" and len(reader.pages[0].images) == 1
