"""Loaders other than PDF (JSONL, Markdown, DOCX, HTML, text) and the dispatch by suffix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import LoadError, NoTextError
from assistant.types import Document
from ingest.loaders import ENCODING_WARNING, SUFFIXES, load
from tests.conftest import SHARED_CORPUS as CORPUS
from tests.conftest import needs_corpus

CGCT_JSONL = CORPUS / "legi-cgct-2015/cgct_partie_legislative.jsonl"
FOCUS_MD = CORPUS / "legi-cgct-2015/focus/03_cooperation_locale_intercommunalite.md"
CGCT_ID = "code-general-des-collectivites-territoriales:Article {}"


def _one(path: Path, source: str | None = None) -> Document:
    loaded = load(path, source or path.name)
    assert len(loaded.documents) == 1
    return loaded.documents[0]


def _body(document: Document, path_end: str) -> str:
    section = next(s for s in document.sections if s.path and s.path.endswith(path_end))
    return document.text[section.start : section.end]


def _assert_sections_valid(document: Document) -> None:
    last = 0
    for section in document.sections:
        assert last <= section.start < section.end <= len(document.text)
        assert document.text[section.start] != "\n" and document.text[section.end - 1] != "\n"
        last = section.end


def _squash(text: str) -> str:
    return " ".join(text.split())


# ---- dispatch and empty files --------------------------------------------------------------------


def test_suffixes() -> None:
    assert SUFFIXES == {".pdf", ".docx", ".md", ".markdown", ".txt", ".html", ".htm", ".jsonl"}


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "tableau.xyz"
    path.write_text("a;b", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(path, "docs/tableau.xyz")
    assert str(info.value) == (
        "docs/tableau.xyz : format non pris en charge (.xyz) : convertissez-le en PDF, DOCX, Markdown, "
        "texte, HTML ou JSONL"
    )


def test_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = tmp_path / "NOTE.TXT"
    path.write_text("Bonjour", encoding="utf-8")
    assert _one(path).text == "Bonjour"


@pytest.mark.parametrize("suffix", sorted(SUFFIXES))
@pytest.mark.parametrize("content", [b"", b"  \n\t\n"])
def test_empty_file(tmp_path: Path, suffix: str, content: bytes) -> None:
    path = tmp_path / f"vide{suffix}"
    path.write_bytes(content)
    with pytest.raises(NoTextError, match="fichier vide : rien à indexer"):
        load(path, path.name)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="absent.txt : fichier illisible"):
        load(tmp_path / "absent.txt", "absent.txt")


# ---- JSONL ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cgct_records() -> dict[str | None, Document]:
    loaded = load(CGCT_JSONL, "legi-cgct-2015/cgct_partie_legislative.jsonl")
    assert loaded.warnings == []
    assert len(loaded.documents) == 2879
    return {d.record_id: d for d in loaded.documents}


@needs_corpus
def test_cgct_jsonl_record_fields(cgct_records: dict[str | None, Document]) -> None:
    document = cgct_records[CGCT_ID.format("L5214-16")]
    assert document.source == "legi-cgct-2015/cgct_partie_legislative.jsonl"
    assert document.title == "Article L5214-16"
    assert document.text.startswith("I. ― La communauté de communes exerce de plein droit")
    assert document.sections and len(document.sections) == 1
    section = document.sections[0]
    assert (section.start, section.end) == (0, len(document.text))
    assert section.path == (
        "Partie législative > CINQUIÈME PARTIE : LA COOPÉRATION LOCALE > LIVRE II : LA COOPÉRATION "
        "INTERCOMMUNALE > TITRE Ier : ÉTABLISSEMENTS PUBLICS DE COOPÉRATION INTERCOMMUNALE > CHAPITRE IV : "
        "Communauté de communes > Section 4 : Compétences."
    )
    assert document.metadata["code"] == "Code général des collectivités territoriales"
    assert document.metadata["article"] == "Article L5214-16"
    assert "text" not in document.metadata and "hierarchy" not in document.metadata
    assert all(isinstance(v, (str, int, float, bool)) for v in document.metadata.values())


@needs_corpus
def test_cgct_jsonl_html_table_becomes_text(cgct_records: dict[str | None, Document]) -> None:
    text = cgct_records[CGCT_ID.format("L5211-6-1")].text
    assert "De moins de 3 500 habitants | 16\n" in text
    assert "Plus de 1 000 000 habitants | 130" in text
    assert "<td" not in text and "<p" not in text and "<br" not in text
    assert all("<" not in d.text or "< " in d.text for d in cgct_records.values())
    # the text around the table keeps its paragraphs
    assert "à partir du tableau ci-dessous.\n\nPOPULATION MUNICIPALE" in text


def test_jsonl_skips_bad_lines_with_their_number(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {"id": "r1", "article": "Article 1", "text": "Premier texte.", "hierarchy": ["Titre Ier", "Chapitre 2"]}
        ),
        '{"id": "r2", "text": "tronqué',
        json.dumps(["pas", "un", "objet"]),
        json.dumps({"id": "r4", "text": "   "}),
        "",
        json.dumps(
            {
                "title": "Sans identifiant",
                "text": "Le <b>tableau</b> :<table><tr><td>A</td><td>1</td></tr></table>",
                "matched": ["contrat de ville", "quartiers prioritaires"],
                "nested": {"x": 1},
                "rank": 3,
            }
        ),
    ]
    path = tmp_path / "extraits.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    loaded = load(path, "extraits.jsonl")
    assert loaded.warnings == [
        "ligne 2 ignorée : JSON invalide",
        "ligne 3 ignorée : ce n'est pas un objet JSON",
        "ligne 4 ignorée : champ « text » absent ou vide",
    ]
    first, second = loaded.documents
    assert (first.record_id, first.title, first.text) == ("r1", "Article 1", "Premier texte.")
    assert [s.path for s in first.sections] == ["Titre Ier > Chapitre 2"]
    assert (second.record_id, second.title, second.sections) == (None, "Sans identifiant", ())
    assert second.text == "Le tableau :\n\nA | 1"
    assert second.metadata == {
        "title": "Sans identifiant",
        "matched": "contrat de ville, quartiers prioritaires",
        "rank": 3,
    }


def test_jsonl_without_any_usable_record(tmp_path: Path) -> None:
    path = tmp_path / "casse.jsonl"
    path.write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(LoadError, match=r"casse.jsonl : aucun enregistrement utilisable \(ligne 1 ignorée"):
        load(path, "casse.jsonl")


def test_jsonl_title_falls_back_to_id_then_stem(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"id": 7, "text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    assert [(d.record_id, d.title) for d in load(path, "notes.jsonl").documents] == [("7", "7"), (None, "notes")]


# ---- Markdown ------------------------------------------------------------------------------------

FICHE = """---
title: "Les conseils citoyens"
kind: fiche
annee: 2014
date: 2014-02-21
tags:
  - participation
---
<!-- note interne : ne pas indexer -->

# Partie législative

Introduction **importante** avec un [lien](https://example.org).

## Titre II

### Article 7

I. - Un conseil citoyen est mis en place.

> - Code général des collectivités territoriales
> > Art. L2143-1

### Article 8

Dès lors que le contrat de ville est élaboré.
"""


def test_markdown_front_matter_headings_and_blockquotes(tmp_path: Path) -> None:
    path = tmp_path / "fiche.md"
    path.write_text(FICHE, encoding="utf-8")
    document = _one(path)
    assert document.title == "Les conseils citoyens"
    assert document.metadata == {"title": "Les conseils citoyens", "kind": "fiche", "annee": 2014, "date": "2014-02-21"}
    assert "note interne" not in document.text and "---" not in document.text and ">" not in document.text
    _assert_sections_valid(document)
    assert [s.path for s in document.sections] == [
        "Partie législative",
        "Partie législative > Titre II > Article 7",
        "Partie législative > Titre II > Article 8",
    ]
    assert _body(document, "Article 7") == (
        "I. - Un conseil citoyen est mis en place.\n\n- Code général des collectivités territoriales\nArt. L2143-1"
    )
    assert _body(document, "Partie législative") == "Introduction importante avec un lien."
    # the heading line stays in the text, outside the section it names
    assert "\n\nArticle 8\n\nDès lors" in document.text


def test_markdown_title_falls_back_to_first_h1_then_stem(tmp_path: Path) -> None:
    path = tmp_path / "note.markdown"
    path.write_text("Avant-propos.\n\n# Le titre\n\ntexte\n", encoding="utf-8")
    assert _one(path).title == "Le titre"
    path.write_text("## Seulement un niveau 2\n\ntexte\n", encoding="utf-8")
    assert _one(path).title == "note"


def test_markdown_without_text(tmp_path: Path) -> None:
    path = tmp_path / "meta.md"
    path.write_text("---\ntitle: x\n---\n<!-- rien -->\n", encoding="utf-8")
    with pytest.raises(NoTextError):
        load(path, "meta.md")


@needs_corpus
def test_focus_markdown_matches_jsonl_records(cgct_records: dict[str | None, Document]) -> None:
    document = _one(FOCUS_MD, "legi-cgct-2015/focus/03_cooperation_locale_intercommunalite.md")
    _assert_sections_valid(document)
    assert document.title == "CINQUIÈME PARTIE : LA COOPÉRATION LOCALE"
    section = next(s for s in document.sections if s.path and s.path.endswith("Article L5214-16"))
    assert section.path == (
        "CINQUIÈME PARTIE : LA COOPÉRATION LOCALE > LIVRE II : LA COOPÉRATION INTERCOMMUNALE > TITRE Ier : "
        "ÉTABLISSEMENTS PUBLICS DE COOPÉRATION INTERCOMMUNALE > CHAPITRE IV : Communauté de communes > "
        "Section 4 : Compétences. > Article L5214-16"
    )
    record = cgct_records[CGCT_ID.format("L5214-16")]
    assert _squash(document.text[section.start : section.end]) == _squash(record.text)
    articles = [s for s in document.sections if s.path and s.path.rsplit(" > ", 1)[-1].startswith("Article ")]
    assert len(articles) == 438  # also the `#######` (7-level) headings of the file
    table = _body(document, "Article L5211-6-1")
    assert "De moins de 3 500 habitants | 16" in table and "<td" not in table
    assert "Licence Ouverte" not in document.text  # the leading HTML comment


# ---- DOCX ----------------------------------------------------------------------------------------


def _write_docx(path: Path, title: str | None) -> None:
    import docx

    word = docx.Document()
    if title is not None:
        word.core_properties.title = title
    word.add_heading("Guide du contrat de ville", level=1)
    word.add_paragraph("Le contrat de ville est signé par l'Etat et l'EPCI.")
    word.add_heading("Pilotage", level=2)
    word.add_paragraph("Un comité de pilotage réunit les signataires.")
    table = word.add_table(rows=2, cols=2)
    for (row, col), value in {
        (0, 0): "Population",
        (0, 1): "Sièges",
        (1, 0): "De moins de 3 500 habitants",
        (1, 1): "16",
    }.items():
        table.cell(row, col).text = value
    word.add_heading("Évaluation", level=2)
    word.add_paragraph("Un rapport annuel est présenté.")
    word.save(str(path))


def test_docx_headings_paragraphs_and_table(tmp_path: Path) -> None:
    path = tmp_path / "guide.docx"
    _write_docx(path, title=None)
    document = _one(path)
    assert document.title == "Guide du contrat de ville"
    _assert_sections_valid(document)
    assert [s.path for s in document.sections] == [
        "Guide du contrat de ville",
        "Guide du contrat de ville > Pilotage",
        "Guide du contrat de ville > Évaluation",
    ]
    assert _body(document, "Pilotage") == (
        "Un comité de pilotage réunit les signataires.\n\nPopulation | Sièges\nDe moins de 3 500 habitants | 16"
    )
    assert _body(document, "Évaluation") == "Un rapport annuel est présenté."


def test_docx_title_from_core_properties(tmp_path: Path) -> None:
    path = tmp_path / "guide.docx"
    _write_docx(path, title="Contrat de ville de Lille")
    assert _one(path).title == "Contrat de ville de Lille"


def test_corrupt_docx(tmp_path: Path) -> None:
    path = tmp_path / "abime.docx"
    path.write_bytes(b"PK\x03\x04" + b"pas vraiment un zip" * 20)
    with pytest.raises(LoadError, match="abime.docx : document Word illisible"):
        load(path, "abime.docx")


# ---- HTML ----------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Guide des conseils citoyens</title>
<style>p { color: red }</style><script>var secret = "NE PAS INDEXER";</script></head>
<body><nav><a href="/">Accueil</a> <a href="/plan">Plan du site</a></nav>
<h1>Les conseils citoyens</h1>
<p>Un conseil citoyen est mis en place dans chaque
   quartier prioritaire&nbsp;: c&rsquo;est l&#39;article&nbsp;7.</p>
<p>Second paragraphe.</p>
<h2>Composition</h2>
<ul><li>des habitants tirés au sort ;</li><li>des représentants d'associations.</li></ul>
<script>alert("NE PAS INDEXER NON PLUS")</script>
</body></html>
"""


def test_html_text_sections_and_dropped_elements(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    document = _one(path)
    assert document.title == "Guide des conseils citoyens"
    for absent in ("NE PAS INDEXER", "color", "Plan du site", "<"):
        assert absent not in document.text
    _assert_sections_valid(document)
    assert [s.path for s in document.sections] == ["Les conseils citoyens", "Les conseils citoyens > Composition"]
    assert _body(document, "citoyens") == (
        "Un conseil citoyen est mis en place dans chaque quartier prioritaire : c'est l'article 7.\n\n"
        "Second paragraphe."
    )
    assert _body(document, "Composition") == "- des habitants tirés au sort ;\n- des représentants d'associations."


def test_htm_title_falls_back_to_h1(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_bytes("<h1>Réunion publique</h1><p>Compte rendu</p>".encode("cp1252"))
    assert _one(path).title == "Réunion publique"


def test_xhtml_page_loads_without_bs4_warning(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml">'
        "<head><title>Compte rendu du conseil</title></head><body><p>Texte adopté.</p></body></html>",
        encoding="utf-8",
    )
    document = _one(path)  # filterwarnings = error: a bs4 warning would fail here
    assert (document.title, document.text) == ("Compte rendu du conseil", "Texte adopté.")


# ---- text ----------------------------------------------------------------------------------------


def test_txt_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "acte.txt"
    path.write_bytes("\ufeffJournée nationale – 11 décembre 2017\n\nLes élus présents.\n".encode("utf-8"))
    loaded = load(path, "actes/acte.txt")
    document = loaded.documents[0]
    assert loaded.warnings == []
    assert document.text == "Journée nationale – 11 décembre 2017\n\nLes élus présents."
    assert (document.title, document.sections, document.source) == (
        "Journée nationale – 11 décembre 2017",
        (),
        "actes/acte.txt",
    )


def test_txt_windows_1252_is_converted_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "ancien.txt"
    path.write_bytes("Société d'économie mixte – 3 500 €\n".encode("cp1252"))
    loaded = load(path, "ancien.txt")
    assert loaded.documents[0].text == "Société d'économie mixte – 3 500 €"
    assert loaded.warnings == [ENCODING_WARNING]
    assert "Windows-1252/Latin-1" in ENCODING_WARNING


def test_txt_long_first_line_titles_with_stem(tmp_path: Path) -> None:
    path = tmp_path / "compte-rendu.txt"
    path.write_text("mot " * 60 + "\nsuite", encoding="utf-8")
    assert _one(path).title == "compte-rendu"


def test_binary_txt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(LoadError, match="image.txt : fichier binaire") as info:
        load(path, "image.txt")
    assert not isinstance(info.value, NoTextError)
