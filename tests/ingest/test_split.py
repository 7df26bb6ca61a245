from itertools import pairwise

from assistant.types import Document, Section
from ingest.split import pack, split_document, units

ARTICLE = (
    "Le contrat de ville est conclu à l'échelle intercommunale. Il est signé par l'État et ses "
    "établissements publics. "
)


def doc(text: str, sections: tuple[Section, ...] = (), pages: tuple[int, ...] = ()) -> Document:
    return Document(source="a/b.md", text=text, title="Titre", sections=sections, page_starts=pages)


def test_short_section_is_one_chunk_with_offsets() -> None:
    text = "Intro.\n\n" + ARTICLE
    chunks = split_document(doc(text, (Section(0, 6, "A"), Section(8, len(text), "B"))), "/r", 400, 50)
    assert [c.section for c in chunks] == ["A", "B"]
    for c in chunks:
        assert text[c.start : c.end] == c.text


def test_long_section_splits_on_sentences_with_overlap_and_never_straddles() -> None:
    first = ARTICLE * 12
    text = first + "\n\n" + "Article suivant. " * 3
    sections = (Section(0, len(first), "Article 1"), Section(len(first) + 2, len(text), "Article 2"))
    chunks = split_document(doc(text, sections), "/r", 300, 80)
    art1 = [c for c in chunks if c.section == "Article 1"]
    assert len(art1) > 3
    assert all(len(c.text) <= 300 for c in art1)
    assert all(c.end <= len(first) for c in art1)
    # consecutive pieces overlap, and each piece ends on a sentence end
    assert all(a.end > b.start for a, b in pairwise(art1))
    assert all(c.text.endswith(".") for c in art1)
    assert [c.section for c in chunks if "suivant" in c.text] == ["Article 2"]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "Voir l'art. L. 5211-1 du code. Une autre phrase ici."
    spans = units(text, 0, len(text), 40)
    assert text[spans[0][0] : spans[0][1]].startswith("Voir l'art. L. 5211-1")


def test_pack_handles_units_longer_than_size() -> None:
    assert pack([(0, 50), (51, 60)], 20, 5) == [(0, 50), (51, 60)]


def test_pages_and_ids_are_stable() -> None:
    text = "Page un.\n\nPage deux."
    chunks = split_document(doc(text, pages=(0, 10)), "/r", 5000, 0)
    assert (chunks[0].page, chunks[0].page_end) == (1, 2)
    again = split_document(doc(text, pages=(0, 10)), "/r", 5000, 0)
    assert [c.id for c in chunks] == [c.id for c in again]
    other_root = split_document(doc(text, pages=(0, 10)), "/s", 5000, 0)
    assert chunks[0].id != other_root[0].id


def test_kind_and_date_inferred_and_overridden() -> None:
    d = Document(source="x.jsonl", text="Texte.", title="Article L1", metadata={"code": "Code X",
                 "source": "LEGI consolidation ~mai 2015"})
    (c,) = split_document(d, "/r", 1000, 0)
    assert (c.kind, c.date) == ("texte officiel", "2015-05")
    d2 = Document(source="x.md", text="Texte.", title="Fiche", metadata={"kind": "fiche", "date": "2026-11-27"})
    (c2,) = split_document(d2, "/r", 1000, 0)
    assert (c2.kind, c2.date) == ("fiche", "2026-11-27")
    assert "kind" not in c2.metadata
