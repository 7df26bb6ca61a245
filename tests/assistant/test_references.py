"""Articles and texts a question names, and the passages that are them."""

from __future__ import annotations

import pytest

from assistant.references import Reference, article_of, in_text, is_article, references
from assistant.types import Chunk

LAMY = frozenset({"lamy", "2014-173"})


@pytest.mark.parametrize(("question", "expected"), [
    ("que dit l'article L5214-16 du CGCT ?", (Reference("l5214-16"),)),
    ("compétences selon L. 5214-16", (Reference("l5214-16"),)),
    ("l5214-16 c'est quoi", (Reference("l5214-16"),)),
    ("art. LO 1112-7", (Reference("lo1112-7"),)),
    ("que prévoit l'article 7 de la loi Lamy ?", (Reference("7", LAMY),)),
    ("article 1er de la loi n° 2014-173", (Reference("1", LAMY),)),
    ("les articles 6 et 7 de la loi Lamy", (Reference("6", LAMY), Reference("7", LAMY))),
    ("loi notre : taille mini d'une interco ?", (Reference(texts=frozenset({"notre"})),)),
    ("décret 2014-767 : quel seuil ?", (Reference(texts=frozenset({"2014-767"})),)),
    ("montant du programme 147 dans la loi de finances 2026", ()),
    ("il y a 3 ans", ()),
])
def test_references_of_a_question(question: str, expected: tuple[Reference, ...]) -> None:
    assert references(question) == expected


def chunk(source: str, title: str, record_id: str | None = None, **metadata: str) -> Chunk:
    return Chunk(id=source + title, text="…", source=source, root="/corpus", title=title, record_id=record_id,
                 metadata=metadata)


def test_a_passage_is_the_article_of_its_record_or_title_in_the_text_of_its_path_or_collection() -> None:
    cgct = chunk("codes/cgct.jsonl", "Article L5214-16", "cgct:Article L5214-16")
    lamy_7 = chunk("lois/loi-2014-173-lamy/titre-iii_article-7.md", "Article 7")
    decree_7 = chunk("lois/decret-2014-394-cget/article-7.md", "Article 7")
    in_collection = chunk("lois.jsonl", "Article 7", collection="Loi n° 2014-173 du 21 février 2014")
    fiche = chunk("fiches/loi-notre.md", "La loi NOTRe et la carte intercommunale")
    assert article_of(cgct) == "l5214-16" and article_of(fiche) is None
    assert is_article(cgct, Reference("l5214-16")) and is_article(cgct, Reference("5214-16"))
    assert not is_article(cgct, Reference("l5214-1"))
    lamy = Reference("7", LAMY)
    assert is_article(lamy_7, lamy) and is_article(in_collection, lamy) and not is_article(decree_7, lamy)
    assert in_text(fiche, "notre") and not in_text(lamy_7, "notre")
    assert in_text(decree_7, "2014-394") and not in_text(decree_7, "2014-39")
