"""Answer building blocks: evidence for abstention, citation checks, extractive selection."""

from __future__ import annotations

from assistant import answer as A
from assistant.types import Chunk, Hit

PASSAGE = ("Le conseil citoyen est composé d'habitants tirés au sort et de représentants des associations. "
           "Il est mis en place dans chaque quartier prioritaire. La durée du contrat de ville est de six ans.")


def hit(text: str = PASSAGE, dense: float | None = None, rank: int = 1) -> Hit:
    chunk = Chunk(id=f"c{rank}", text=text, source="a.md", root="/r", title="Article 7")
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank, dense_score=dense)


def test_word_evidence_penalises_names_the_corpus_lacks() -> None:
    assert A.evidence("Comment est composé le conseil citoyen ?", [hit()]) == 1.0
    assert A.evidence("Conseil citoyen de Sarcelles ?", [hit()]) < 1.0
    assert A.evidence("quoi ?", [hit()]) == 0.0  # nothing but asking words
    assert A.evidence("conseil citoyen", []) == 0.0


def test_an_acronym_is_covered_by_its_long_form_and_back() -> None:
    anru = hit("L'Agence nationale pour la rénovation urbaine est un établissement public à caractère "
               "industriel et commercial.")
    assert A.evidence("L'ANRU est-elle un EPIC ?", [anru]) == 1.0
    assert A.evidence("L'Agence nationale pour la rénovation urbaine est-elle un EPIC ?",
                      [hit("L'ANRU est un EPIC.")]) == 1.0
    assert A.evidence("L'ANRU est-elle un EPIC ?", [hit("L'ANRU est un établissement public.")]) < 1.0
    # the long form must stand as a phrase (two inserted words at most), not as scattered words
    national = hit("L'ANRU est un établissement public national à caractère industriel et commercial.")
    assert A.evidence("L'ANRU est-elle un EPIC ?", [national]) == 1.0
    assert A.evidence("La DPV c'est quoi ?", [hit("Le préfet de département est son délégué territorial.")]) == 0.0


def test_a_year_the_passages_never_mention_halves_the_evidence() -> None:
    question = "Comment est composé le conseil citoyen en 2024 ?"
    assert A.evidence(question, [hit()]) < 0.5  # "2024" missing from the words, then halved
    assert A.evidence(question, [hit(f"{PASSAGE} Mis à jour en 2024.")]) == 1.0


def test_the_present_asked_of_old_passages_halves_the_evidence() -> None:
    import datetime as dt
    from dataclasses import replace

    question = "Comment est composé le conseil citoyen actuellement ?"
    old, recent = hit(), hit()
    old = replace(old, chunk=replace(old.chunk, date="2015-05-01"))
    recent = replace(recent, chunk=replace(recent.chunk, date=f"{dt.date.today().year}-01-15"))
    assert A.evidence(question, [old]) == 0.5 * A.evidence(question, [recent]) > 0
    assert A.evidence("Comment est composé le conseil citoyen ?", [old]) == 1.0
    assert A.evidence(question, [old, hit()]) == A.evidence(question, [recent])  # undated: might be recent


def test_an_amount_asked_for_needs_an_amount_in_the_passages() -> None:
    question = "Quel est le montant de l'indemnité du conseil citoyen ?"
    without = A.evidence(question, [hit()])
    with_amount = A.evidence(question, [hit(f"{PASSAGE} L'indemnité du conseil citoyen est de 150 euros.")])
    assert without < 0.5 * with_amount + 1e-9 and with_amount > 0.5
    budget = hit("Le budget participatif finance des projets votés par les habitants.")
    assert A.evidence("Que finance le budget participatif ?", [budget]) == 1.0  # a budget, not an amount


def test_dense_similarity_mixes_in_only_when_calibrated() -> None:
    question = "Comment est composé le conseil citoyen ?"
    assert A.evidence(question, [hit(dense=0.5)], similarity_range=None) == 1.0
    low = A.evidence(question, [hit(dense=0.70)], similarity_range=(0.8, 0.9), dense_weight=0.5)
    high = A.evidence(question, [hit(dense=0.95)], similarity_range=(0.8, 0.9), dense_weight=0.5)
    assert (low, high) == (0.5, 1.0)


def test_check_removes_unknown_markers_and_scores_support() -> None:
    given = [A.Citation(1, hit())]
    text, sentences, removed = A.check(
        "Le conseil citoyen est composé d'habitants tirés au sort [1]. Le maire le préside seul [1][4].", given)
    assert removed == [4] and "[4]" not in text
    assert [s.supported for s in sentences] == [True, False]
    assert sentences[0].citations == (1,) and sentences[0].support == 1.0


def test_extractive_prefers_numbers_for_quantity_questions_and_cites_them() -> None:
    text, citations, sentences = A.extractive("Quelle est la durée du contrat de ville ?", [hit()])
    assert "six ans" in text and text.count("[1]") == len(sentences)
    assert [c.n for c in citations] == [1]
    assert all(s.text in PASSAGE for s in sentences)


def test_extractive_finds_the_sentence_that_spells_the_acronym_out() -> None:
    passage = hit("Il est obligatoire pour la commune de signer le contrat de ville du QPV. "
                  "Un conseil local de sécurité et de prévention de la délinquance est créé dans les communes "
                  "de plus de 10 000 habitants et celles qui comprennent un quartier prioritaire.")
    text, _, _ = A.extractive("CLSPD obligatoire si la commune a un QPV ?", [passage])
    assert "10 000 habitants" in text, text


def test_list_introduction_stays_with_its_items() -> None:
    units = A.units("Les conditions sont :\n- avoir trente ans ;\n- résider dans le quartier.")
    assert units[0].startswith("Les conditions sont :") and "trente ans" in units[0]


def test_headings_are_neither_glued_to_the_paragraph_nor_quoted() -> None:
    text = ("RÈGLEMENT GÉNÉRAL DE L'AGENCE NATIONALE POUR LA RÉNOVATION URBAINE\n\nPréambule\n\n"
            "L'Agence nationale pour la rénovation urbaine finance les projets de renouvellement urbain.")
    assert A.units(text)[-1].startswith("L'Agence nationale")
    answer, _, sentences = A.extractive("Que fait l'Agence nationale pour la rénovation urbaine ?", [hit(text)])
    assert [s.text for s in sentences] == [A.units(text)[-1]], answer


def test_a_list_item_is_quoted_without_its_dash() -> None:
    items = hit("- les syndicats de communes, sans fiscalité propre ;\n- les EPCI à fiscalité propre, qui lèvent l'impôt.")
    _, _, sentences = A.extractive("Quels EPCI lèvent l'impôt ?", [items])
    assert sentences[0].text == "les EPCI à fiscalité propre, qui lèvent l'impôt."


def test_a_sentence_opening_on_a_pronoun_stays_with_the_one_before() -> None:
    units = A.units("L'ANRU finance les projets. Elle passe avec eux des conventions pluriannuelles. "
                    "Le préfet est son délégué territorial.")
    assert units == ["L'ANRU finance les projets. Elle passe avec eux des conventions pluriannuelles.",
                     "Le préfet est son délégué territorial."]
