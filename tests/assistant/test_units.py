"""One notion of unit (what is cited) and of block (what is quoted)."""

from __future__ import annotations

from assistant.types import Chunk
from assistant.units import blocks, is_bibliography, unit_key, unit_text


def chunk(text: str, start: int, section: str | None = "Doc > Composition", record: str | None = None,
          page: int | None = None, cid: str = "c") -> Chunk:
    return Chunk(id=cid, text=text, source="f.md", root="/r", title="Doc", section=section, record_id=record,
                 page=page, start=start, end=start + len(text))


def test_the_unit_is_the_record_else_the_section_else_the_page() -> None:
    assert unit_key(chunk("a", 0, record="cgct:Article L1")) == "/r/f.md#cgct:Article L1"
    assert unit_key(chunk("a", 0)) == "/r/f.md§Doc > Composition"
    assert unit_key(chunk("a", 0, section=None, page=3)) == "/r/f.md@p3"
    assert unit_key(chunk("a", 0, section=None)) == "/r/f.md"


def test_unit_text_puts_overlapping_passages_back_together() -> None:
    text = "Premier alinéa du texte.\n\nDeuxième alinéa.\n\nTroisième alinéa, le dernier."
    a, b = chunk(text[:42], 0, cid="a"), chunk(text[26:], 26, cid="b")
    assert unit_text([b, a]) == text
    assert unit_text([a]) == text[:42]


def test_a_list_keeps_its_introduction_and_all_its_items_across_blank_lines() -> None:
    legal = ("Le contrat de ville fixe :\n\n1° Les objectifs ;\n\n2° La nature des actions ;\n\n"
             "3° Les moyens.\n\nIl est signé par le préfet.")
    kinds = [(b.kind, b.intro, b.items) for b in blocks(legal)]
    assert kinds[0] == ("list", "Le contrat de ville fixe :", ("1° Les objectifs ;", "2° La nature des actions ;",
                                                                "3° Les moyens."))
    assert kinds[1][0] == "paragraph"
    fiche = "Deux catégories de membres :\n- des habitants tirés au sort ;\n- des représentants d'associations."
    (only,) = blocks(fiche)
    assert only.items == ("des habitants tirés au sort ;", "des représentants d'associations.")
    assert only.text.splitlines() == ["Deux catégories de membres :", "- des habitants tirés au sort ;",
                                      "- des représentants d'associations."]


def test_an_item_keeps_what_it_announces_and_the_sentence_that_goes_on_after_it() -> None:
    decree = ("Le seuil est défini selon la formule suivante :\n\n1° Pour les unités urbaines de moins de 5 millions "
              "d'habitants :\n\nS = 0,6 × (0,7 × RMUC-nat + 0,3 × RMUC-UU) ;\n\n2° Pour les autres :\n\n"
              "S = 0,6 × (0,3 × RMUC-nat + 0,7 × RMUC-UU),\n\npour son application, S est le seuil.\n\n"
              "Le préfet arrête la liste.")
    first, last = blocks(decree)
    assert first.items == (("1° Pour les unités urbaines de moins de 5 millions d'habitants : S = 0,6 × (0,7 × "
                           "RMUC-nat + 0,3 × RMUC-UU) ;"),
                           ("2° Pour les autres : S = 0,6 × (0,3 × RMUC-nat + 0,7 × RMUC-UU), pour son application, "
                           "S est le seuil."))
    assert (last.kind, last.text) == ("paragraph", "Le préfet arrête la liste.")


def test_a_numbered_heading_alone_is_a_heading_not_a_list() -> None:
    text = ("3. La qualité du projet urbain et la clause du territoire le plus favorisé\n\nL'agence est vigilante."
            "\n\n1° Les objectifs ;\n\n2° Les moyens.")
    assert [b.kind for b in blocks(text)] == ["heading", "paragraph", "list"]
    assert blocks("1° Les objectifs du contrat ;")[0].kind == "list"  # an item ends on its punctuation


def test_headings_and_questions_are_blocks_of_their_own_kind() -> None:
    text = ("Deuxième série de questions\n\nVers une nouvelle politique contractuelle ?\n\n"
            "Le CGET est né d'une mutation.\n\nIl est ainsi rédigé :\n\n« Art. 1. – Le texte. »")
    assert [b.kind for b in blocks(text)] == ["heading", "question", "paragraph", "paragraph"]
    # an announcement ("ainsi rédigé :") is never left without what it announces
    assert blocks(text)[-1].text == "Il est ainsi rédigé :\n« Art. 1. – Le texte. »"


def test_sources_sections_are_bibliographies() -> None:
    assert is_bibliography(chunk("x", 0, section="Les conseils citoyens > Sources"))
    assert is_bibliography(chunk("x", 0, section="Bibliographie"))
    assert is_bibliography(chunk("x", 0, section="Rapport > Notes et références"))
    assert not is_bibliography(chunk("x", 0, section="Les conseils citoyens > Ressources humaines"))
    # a heading that only begins with the word: a note of the team, a section on the sources of funding
    assert not is_bibliography(chunk("x", 0, section="Note de suivi 3"))
    assert not is_bibliography(chunk("x", 0, section="Contrats de ville > Sources de financement"))
