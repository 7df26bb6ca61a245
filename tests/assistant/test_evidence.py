"""Evidence for abstention: words of the question in the passages (or the units quoted), and meaning."""

from __future__ import annotations

import datetime as dt

from assistant.evidence import evidence
from assistant.query import analyse
from assistant.types import Chunk, Hit

PASSAGE = ("Le conseil citoyen est composé d'habitants tirés au sort et de représentants des associations. "
           "Il est mis en place dans chaque quartier prioritaire. La durée du contrat de ville est de six ans.")
TODAY = dt.date(2026, 12, 2)


def hit(text: str = PASSAGE, dense: float | None = None, rank: int = 1, date: str | None = None) -> Hit:
    chunk = Chunk(id=f"c{rank}", text=text, source="a.md", root="/r", title="Article 7", date=date)
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank, dense_score=dense)


def ev(question: str, hits: list[Hit], **kw) -> float:  # type: ignore[no-untyped-def]
    return evidence(analyse(question), hits, today=TODAY, **kw)


def test_word_evidence_penalises_names_the_corpus_lacks() -> None:
    assert ev("Comment est composé le conseil citoyen ?", [hit()]) == 1.0
    assert ev("Conseil citoyen de Sarcelles ?", [hit()]) < 1.0
    assert ev("quoi ?", [hit()]) == 0.0  # nothing but asking words
    assert ev("conseil citoyen", []) == 0.0


def test_a_name_of_a_glossary_phrase_is_known_by_its_long_form() -> None:
    from assistant.keyword import KeywordIndex

    law = hit("La loi de programmation pour la ville et la cohésion urbaine définit la politique de la ville.")
    other = hit("Le conseil citoyen est composé d'habitants.", rank=2)
    keyword = KeywordIndex.build([law.chunk, other.chunk])
    # « Lamy » is in no passage, but « loi Lamy » is the glossary's name of the law they quote
    assert ev("la politique de la ville selon la loi Lamy ?", [law], keyword=keyword) > 0.7  # halved: 0.4
    assert ev("la politique de la ville selon le maire Dupont ?", [law], keyword=keyword) <= 0.5  # halved


def test_a_quantity_of_the_askers_case_is_not_a_name_the_corpus_lacks() -> None:
    from assistant.keyword import KeywordIndex

    rule = hit("Le quartier prioritaire compte au moins 1 000 habitants dans une unité urbaine de 10 000 habitants.")
    keyword = KeywordIndex.build([rule.chunk])
    mine = ev("notre quartier de 1500 habitants peut-il être quartier prioritaire ?", [rule], keyword=keyword)
    assert mine > 0.7  # « 1500 » not found lowers the coverage a little, it does not halve it
    # a year is a time the texts must speak of, a code name a thing they must know
    assert ev("quartier prioritaire en 2031 ?", [rule], keyword=keyword) < 0.6
    assert ev("quartier prioritaire et programme P147B ?", [rule], keyword=keyword) < 0.6


def test_a_word_no_passage_holds_is_the_askers_not_a_missing_fact() -> None:
    from assistant.keyword import KeywordIndex

    dissolved = hit("L'Agence nationale pour la cohésion sociale et l'égalité des chances est dissoute au 1er janvier "
                    "2015 ; ses missions sont transférées à l'État.")
    keyword = KeywordIndex.build([dissolved.chunk, hit("Le conseil citoyen.", rank=2).chunk])
    # « disparu » is in no passage: the question is as well covered as with the text's own words
    asked = ev("l'ACSE a disparu quand, et ses missions ?", [dissolved], keyword=keyword)
    assert asked == ev("l'ACSE est dissoute quand, et ses missions ?", [dissolved], keyword=keyword) == 1.0
    # a word some other passage holds, and this one lacks, still counts as missing
    assert ev("l'ACSE et le conseil citoyen ?", [dissolved], keyword=keyword) < 1.0


def test_an_acronym_is_covered_by_its_long_form_and_back() -> None:
    anru = hit("L'Agence nationale pour la rénovation urbaine est un établissement public à caractère "
               "industriel et commercial.")
    assert ev("L'ANRU est-elle un EPIC ?", [anru]) == 1.0
    assert ev("L'Agence nationale pour la rénovation urbaine est-elle un EPIC ?", [hit("L'ANRU est un EPIC.")]) == 1.0
    assert ev("L'ANRU est-elle un EPIC ?", [hit("L'ANRU est un établissement public.")]) < 1.0
    national = hit("L'ANRU est un établissement public national à caractère industriel et commercial.")
    assert ev("L'ANRU est-elle un EPIC ?", [national]) == 1.0
    assert ev("La DPV c'est quoi ?", [hit("Le préfet de département est son délégué territorial.")]) == 0.0


def test_a_year_the_passages_never_mention_halves_the_evidence() -> None:
    question = "Comment est composé le conseil citoyen en 2024 ?"
    assert ev(question, [hit()]) < 0.5
    assert ev(question, [hit(f"{PASSAGE} Mis à jour en 2024.")]) == 1.0


def test_the_present_asked_of_old_passages_halves_the_evidence_by_the_clock_passed_in() -> None:
    question = "Comment est composé le conseil citoyen actuellement ?"
    old, recent = hit(date="2015-05-01"), hit(date="2026-01-15")
    assert ev(question, [old]) == 0.5 * ev(question, [recent]) > 0
    assert ev("Comment est composé le conseil citoyen ?", [old]) == 1.0
    assert ev(question, [old, hit()]) == ev(question, [recent])  # undated: might be recent
    # the same passages, another day: in 2016 a 2015 text is recent
    assert evidence(analyse(question), [old], today=dt.date(2016, 6, 1)) == ev(question, [recent])


def test_an_amount_asked_for_needs_an_amount_in_the_passages() -> None:
    question = "Quel est le montant de l'indemnité du conseil citoyen ?"
    without = ev(question, [hit()])
    with_amount = ev(question, [hit(f"{PASSAGE} L'indemnité du conseil citoyen est de 150 euros.")])
    assert without < 0.5 * with_amount + 1e-9 and with_amount > 0.5
    budget = hit("Le budget participatif finance des projets votés par les habitants.")
    assert ev("Que finance le budget participatif ?", [budget]) == 1.0  # a budget, not an amount


def test_the_units_quoted_count_beside_the_passages() -> None:
    question = "Comment est composé le conseil citoyen ?"
    unrelated = hit("La métropole exerce de plein droit des compétences.")
    assert ev(question, [unrelated]) < 0.5
    assert ev(question, [unrelated], units=[(PASSAGE, None)]) == 1.0


def test_dense_similarity_mixes_in_only_when_calibrated() -> None:
    question = "Comment est composé le conseil citoyen ?"
    assert ev(question, [hit(dense=0.5)], similarity_range=None) == 1.0
    low = ev(question, [hit(dense=0.70)], similarity_range=(0.8, 0.9), dense_weight=0.5)
    high = ev(question, [hit(dense=0.95)], similarity_range=(0.8, 0.9), dense_weight=0.5)
    assert (low, high) == (0.5, 1.0)
