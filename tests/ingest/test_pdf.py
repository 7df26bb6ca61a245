"""PDF loading on the corpus test PDFs (see corpus/pdf/README.md), plus header and heading rules."""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from itertools import pairwise
from pathlib import Path

import pytest

from assistant.errors import LoadError, NoTextError
from assistant.types import Document
from ingest.loaders import load
from ingest.loaders.pdf import ARTICLE_LEVEL, drop_running_lines, heading_level
from tests.conftest import SHARED_CORPUS as CORPUS
from tests.conftest import needs_corpus

PDF = CORPUS / "pdf"
LOIS = CORPUS / "legi-lois-non-codifiees"
LOI_PDF = "loi-2014-173-programmation-ville-cohesion-urbaine.pdf"
DECRET_PDF = "decret-2014-767-quartiers-prioritaires-2col.pdf"
CGCT_PDF = "cgct-intercommunalite-extrait.pdf"
COMPOUND = re.compile(r"\w+(?:-\w+)+")


def _load(name: str, password: str | None = None) -> Document:
    loaded = load(PDF / name, f"pdf/{name}", pdf_password=password)
    assert loaded.warnings == []
    assert len(loaded.documents) == 1
    return loaded.documents[0]


@pytest.fixture(scope="module")
def loi() -> Document:
    return _load(LOI_PDF)


@pytest.fixture(scope="module")
def decret() -> Document:
    return _load(DECRET_PDF)


@pytest.fixture(scope="module")
def cgct() -> Document:
    return _load(CGCT_PDF)  # 70 pages, several seconds: loaded once, by `slow` tests only


# ---- comparison with the source (method of corpus/pdf/README.md) --------------------------------


def _pairs(text: str) -> list[tuple[str, str]]:
    words = unicodedata.normalize("NFKC", text).replace("\u2019", "'").lower().split()
    return list(pairwise(words))


def coverage(sources: list[str], text: str) -> float:
    """Share of the sources' word pairs found in `text`."""
    have = set(_pairs(text))
    wanted = [pair for source in sources for pair in _pairs(source)]
    return sum(pair in have for pair in wanted) / len(wanted)


def _article_body(path: Path) -> str:
    """Body of a loi article file, as the PDF prints it: blockquote `>` and leading `-` removed."""
    lines = path.read_text(encoding="utf-8").split("\n")[1:]
    return "\n".join(re.sub(r"^(?:>\s?)+-?\s*", "", line) if line.startswith(">") else line for line in lines)


def _articles(folder: str) -> list[str]:
    return [_article_body(p) for p in sorted((LOIS / folder).glob("*article*.md"))]


def _cgct_bodies() -> list[str]:
    """Article bodies of the focus file up to CHAPITRE VII, HTML tags removed as in the PDF."""
    text = (CORPUS / "legi-cgct-2015/focus/03_cooperation_locale_intercommunalite.md").read_text(encoding="utf-8")
    text = text[: text.index("#### CHAPITRE VII : Métropole")]
    bodies = re.split(r"^#+ .*$", text, flags=re.MULTILINE)[1:]
    return [html.unescape(re.sub(r"<[^>]+>", " ", body)) for body in bodies]


def _article_paths(document: Document) -> list[str]:
    return [s.path.rsplit(" > ", 1)[-1] for s in document.sections if s.path and " Article " in f" {s.path}"]


def _assert_sections_valid(document: Document) -> None:
    last = 0
    for section in document.sections:
        assert last <= section.start < section.end <= len(document.text)
        last = section.end


# ---- a) loi 2014-173: header, footer, hyphenation, pages -----------------------------------------


@needs_corpus
def test_loi_has_no_running_header_or_footer(loi: Document) -> None:
    assert not re.search(r"Page \d+ / 8", loi.text)
    header = "Loi n° 2014-173 du 21 février 2014"
    in_bodies = sum(body.count(header) for body in _articles("loi-2014-173-lamy"))
    assert loi.text.count(header) == in_bodies  # only where the articles themselves say it
    assert not any(line.strip() == header for line in loi.text.splitlines())


@needs_corpus
def test_loi_is_dehyphenated_and_covers_its_source(loi: Document) -> None:
    assert not re.search(r"\w-\n\w", loi.text)
    assert "améliorer les conditions de vie" in loi.text
    assert not re.search("[\ufb00-\ufb06]", loi.text)
    sources = _articles("loi-2014-173-lamy")
    assert len(sources) == 17
    assert coverage(sources, loi.text) >= 0.99
    # every real compound of the source survives (nothing joined that should not be)
    assert set(COMPOUND.findall("\n".join(sources))) <= set(COMPOUND.findall(loi.text))


@needs_corpus
def test_loi_pages(loi: Document) -> None:
    assert len(loi.page_starts) == 8
    assert list(loi.page_starts) == sorted(loi.page_starts)
    assert loi.page_at(loi.text.index("Il est rendu public.")) == 2
    assert loi.page_at(loi.text.index("I. - Un conseil citoyen est mis en place")) == 4
    assert loi.page_at(loi.text.index("Les conseils citoyens exercent leur action")) == 5
    assert loi.page_at(len(loi.text) - 1) == 8


@needs_corpus
def test_loi_articles_are_sections(loi: Document) -> None:
    _assert_sections_valid(loi)
    numbers = [1, 2, 5, 6, 7, 8, 9, 10, 13, 14, 22, 23, 24, 25, 28, 29, 30]
    assert _article_paths(loi) == [f"Article {n}" for n in numbers]
    article_7 = next(s for s in loi.sections if s.path and s.path.endswith("> Article 7"))
    assert article_7.path == "TITRE III : DES INSTRUMENTS ET DE LA GOUVERNANCE DE LA POLITIQUE DE LA VILLE > Article 7"
    body = loi.text[article_7.start : article_7.end]
    assert body.startswith("I. - Un conseil citoyen est mis en place")
    assert "Article 8" not in body and "Dès lors que le contrat de ville" not in body


@needs_corpus
def test_loi_title_comes_from_pdf_metadata(loi: Document) -> None:
    assert loi.title == "Loi n° 2014-173 du 21 février 2014 de programmation pour la ville et la cohésion urbaine"
    assert loi.metadata == {"pages": 8}


# ---- b) two-column décret ------------------------------------------------------------------------


@needs_corpus
def test_two_column_decret(decret: Document) -> None:
    assert coverage(_articles("decret-2014-767-qpv"), decret.text) >= 0.97
    assert _article_paths(decret) == ["Article 1", "Article 2", "Article 3", "Article 4"]
    assert "renouvellement général des conseils municipaux en 2014" in decret.text
    assert "l'article R. 2151-1 du code général des collectivités territoriales" in decret.text
    assert "(0,3 × RMUC-UU])" in decret.text and "RMUC-nat" in decret.text
    assert decret.page_starts == (0,)


# ---- c) 70-page CGCT extract: the counterpart of a) for hyphens ----------------------------------


@pytest.mark.slow
@needs_corpus
def test_cgct_keeps_real_hyphens(cgct: Document) -> None:
    for kept in (
        "visé à l'article L. 5711-1",
        "des vice-présidents",
        "celle-ci",
        "sous-section",
        "L. 2123-11-2",
        "etalab/codes-juridiques-francais",
    ):
        assert kept in cgct.text, kept
    assert "57111" not in cgct.text and "viceprésidents" not in cgct.text
    sources = _cgct_bodies()
    assert set(COMPOUND.findall("\n".join(sources))) <= set(COMPOUND.findall(cgct.text))
    assert coverage(sources, cgct.text) >= 0.99


@pytest.mark.slow
@needs_corpus
def test_cgct_headers_pages_and_sections(cgct: Document) -> None:
    assert not re.search(r"Page \d+ / 70", cgct.text)
    assert "Cinquième partie (extrait)\n" not in cgct.text
    assert len(cgct.page_starts) == 70
    _assert_sections_valid(cgct)
    articles = _article_paths(cgct)
    assert len(articles) == len(set(articles)) == 180
    section = next(s for s in cgct.sections if s.path and s.path.endswith("Article L5214-16"))
    assert section.path == (
        "CINQUIÈME PARTIE : LA COOPÉRATION LOCALE > LIVRE II : LA COOPÉRATION INTERCOMMUNALE > "
        "TITRE Ier : ÉTABLISSEMENTS PUBLICS DE COOPÉRATION INTERCOMMUNALE > "
        "CHAPITRE IV : Communauté de communes > Section 4 : Compétences. > Article L5214-16"
    )
    assert cgct.text[section.start :].startswith("I. ― La communauté de communes exerce de plein droit")


# ---- failures ------------------------------------------------------------------------------------


@needs_corpus
def test_scan_without_text_layer() -> None:
    with pytest.raises(NoTextError, match="OCR") as info:
        load(PDF / "scan-sans-couche-texte.pdf", "pdf/scan-sans-couche-texte.pdf")
    assert info.value.path == "pdf/scan-sans-couche-texte.pdf"


@needs_corpus
def test_corrupt_pdf_names_the_file_and_keeps_pypdf_quiet(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LoadError, match="tronqué") as info:
        load(PDF / "corrompu.pdf", "pdf/corrompu.pdf")
    assert not isinstance(info.value, NoTextError)
    assert str(info.value).startswith("pdf/corrompu.pdf : PDF illisible ou tronqué (")
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    logger = logging.getLogger("pypdf")
    assert logger.propagate and not logger.handlers  # restored after loading


@needs_corpus
def test_protected_pdf() -> None:
    with pytest.raises(LoadError, match="--pdf-password"):
        load(PDF / "protege.pdf", "pdf/protege.pdf")
    with pytest.raises(LoadError, match="mot de passe PDF incorrect"):
        load(PDF / "protege.pdf", "pdf/protege.pdf", pdf_password="faux")
    document = _load("protege.pdf", password="carrefour")
    assert not re.search(r"Page \d+ / 3", document.text)
    assert _article_paths(document) == [f"Article {n}" for n in range(1, 7)]
    assert coverage(_articles("decret-2014-394-cget"), document.text) >= 0.99


# ---- rules, without files ------------------------------------------------------------------------


def test_running_lines_repeated_on_most_pages_are_dropped() -> None:
    pages = [
        ["Rapport annuel 2014", "premier texte", "Page 1 / 3"],
        ["Rapport annuel 2014", "deuxième texte", "Page 2 / 3"],
        ["Rapport annuel 2014", "Rapport annuel 2014 bis", "troisième texte", "Page 3 / 3"],
    ]
    assert drop_running_lines(pages) == [
        ["premier texte"],
        ["deuxième texte"],
        ["Rapport annuel 2014 bis", "troisième texte"],
    ]


def test_lines_repeated_on_few_pages_are_kept_but_page_numbers_always_go() -> None:
    pages = [["Préambule", "texte", "- 1 -"], ["Préambule", "suite"], ["autre", "3 / 5"], ["encore"], ["fin"]]
    assert drop_running_lines(pages) == [["Préambule", "texte"], ["Préambule", "suite"], ["autre"], ["encore"], ["fin"]]
    assert drop_running_lines([["Titre", "corps", "Page 1 / 1"]]) == [["Titre", "corps"]]


def test_headings_starting_every_page_are_not_running_lines() -> None:
    pages = [["Article 1", "texte un"], ["Article 2", "texte deux"], ["Article 3", "texte trois"]]
    assert drop_running_lines(pages) == pages


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("Article 7", ARTICLE_LEVEL),
        ("Article L5214-16", ARTICLE_LEVEL),
        ("Article LO1112-7", ARTICLE_LEVEL),
        ("Article 9-1", ARTICLE_LEVEL),
        ("Article Annexe", ARTICLE_LEVEL),
        ("Article 1er", ARTICLE_LEVEL),
        ("Article L5210-1-1 A", ARTICLE_LEVEL),
        ("###### Article L5211-5", ARTICLE_LEVEL),
        ("TITRE III : DES INSTRUMENTS ET DE LA GOUVERNANCE", 3),
        ("TITRE Ier : POLITIQUE DE LA VILLE", 3),
        ("CHAPITRE II", 4),
        ("CINQUIÈME PARTIE : LA COOPÉRATION LOCALE", 1),
        ("Section 4 : Compétences.", 5),
        ("###### Sous-section 1 : Organes", 6),
        ("Article 2 du décret n° 2014-767", None),
        ("l'article 7 de la loi", None),
        ("Art. L2143-1", None),
        ("Titre de séjour délivré", None),
    ],
)
def test_heading_levels(line: str, level: int | None) -> None:
    assert heading_level(line) == level


def test_text_file_named_pdf_is_unreadable(tmp_path: Path) -> None:
    fake = tmp_path / "faux.pdf"
    fake.write_text("ceci n'est pas un PDF", encoding="utf-8")
    with pytest.raises(LoadError, match="faux.pdf : PDF illisible"):
        load(fake, "faux.pdf")
