"""The question analysed once: what retrieval, evidence and the composer read."""

from __future__ import annotations

import pytest

from assistant.query import analyse, expected, names
from assistant.textfr import tokenize


@pytest.mark.parametrize(("question", "kind"), [
    ("Combien faut-il d'habitants au minimum pour un QPV ?", "number"),
    ("un contrat de vile c'est signé pour combien de temps ?", "number"),
    ("Quel est le montant de l'indemnité ?", "amount"),
    ("Quel est le budget du NPNRU ?", "amount"),
    ("Combien gagne un vice-président d'agglo ?", "amount"),
    ("un locataire HLM qui gagne plus de deux fois le plafond perd-il son droit au maintien ?", None),
    ("Depuis quand l'ANCT existe-t-elle ?", "date"),
    ("dates de l'appel à projets contrat de ville 2026 ?", "date"),
    ("Quels critères pour être QPV ?", "list"),
    ("Qui peut être membre d'un conseil citoyen ?", "list"),
    ("Qui préside le conseil citoyen ?", "person"),
    ("Le CGET dépend de qui ?", "person"),
    ("le SDCI c'est quoi et qui l'arrete ?", "person"),
    ("Que dit la note qui porte le mot repère jeton ?", None),
    ("un agent territorial qui travaille en QPV a-t-il droit à une NBI ?", None),
    ("C'est quoi l'ANCT ?", "definition"),
    ("Comment fonctionne un conseil citoyen ?", None),
    ("Que finance le budget participatif ?", None),
])
def test_the_expected_kind_of_answer(question: str, kind: str | None) -> None:
    assert expected(question) == kind


def test_a_follow_up_is_made_standalone_but_keeps_its_own_kind() -> None:
    q = analyse("et qui le préside ?", ["Comment est composé le conseil citoyen ?"])
    assert q.standalone.startswith("Comment est composé le conseil citoyen") and q.expects == "person"
    assert "citoyen" in q.wanted and "compos" in q.wanted


def test_acronyms_expand_for_keywords_and_asking_words_are_not_content() -> None:
    q = analyse("Quels sont les QPV en 2024 ?")
    assert {"quarti", "prioritair"} <= set(q.keyword_tokens) and "qpv" in q.wanted
    assert not q.wanted & {"quel"} and q.years == ("2024",) and q.salient == ("QPV", "2024")


def test_asking_words_are_dropped_before_typos_are_corrected() -> None:
    from assistant.keyword import KeywordIndex
    from assistant.types import Chunk

    index = KeywordIndex.build([Chunk(id="a", text="La combinaison des dispositifs du contrat de ville.", source="a",
                                      root="/r", title="t"),
                                Chunk(id="b", text="Il commence en 2015.", source="b", root="/r", title="t")])
    q = analyse("combien de temps dure un contrat de ville ?", keyword=index)
    assert "combin" not in q.wanted and {"contrat", "vill", "dur"} <= q.wanted
    assert "commenc" not in analyse("Comment sont désignés les membres ?", keyword=index).wanted


def test_names_are_the_capitalised_words_that_do_not_open_a_sentence() -> None:
    assert names("Combien de QPV en Seine-Saint-Denis depuis 2024 ? Uniquement les nouveaux.") == ["Seine-Saint-Denis"]
    assert names("qui est le delegue du prefet des Tarterets a Corbeil-Essonnes ?") == ["Tarterets", "Corbeil-Essonnes"]
    assert names("Avec la loi NOTRe, un EPCI doit regrouper combien d'habitants ?") == []  # « notre » : a stop word
    assert names("le seuil pour une unité urbaine comme Paris ?") == []  # an example, not the place asked about
    assert names("les crédits du programme 147 en 2026, et l'article L5214-16 ?") == ["147", "L5214-16"]


def test_what_a_number_asked_for_counts() -> None:
    assert analyse("Combien faut-il d'habitants au minimum pour un QPV ?").counted == "habit"
    assert analyse("le nombre de membres du conseil citoyen ?").counted == analyse("membres").tokens[0]
    assert analyse("il dure combien de temps ?").counted is None  # a duration: any number of years will do
    assert analyse("Qui signe le contrat de ville ?").counted is None


def test_asking_for_a_definition_is_not_a_word_to_find() -> None:
    query = analyse("coformation politique de la ville définition ?")
    assert "coform" in query.wanted and not query.wanted & set(tokenize("définition signifie"))
    assert analyse("à quoi sert concrètement un CLSPD ?").wanted == {"clspd"}
