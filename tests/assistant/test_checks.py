"""Checks on answers of both modes: markers, support, and each defect detector on true and false cases."""

from __future__ import annotations

from assistant.answer import Citation
from assistant.checks import bibliography, check, cut_list, duplicate, echo, mixed_subject, orphan_start
from assistant.types import Chunk, Hit

LIST = "Le conseil citoyen comprend :\n- des habitants tirés au sort ;\n- des représentants des associations."


def chunk(text: str, section: str | None = None, source: str = "f.md") -> Chunk:
    return Chunk(id=text[:8], text=text, source=source, root="/r", title="Fiche", section=section)


def test_check_removes_unknown_markers_and_scores_support() -> None:
    given = [Citation(1, Hit(chunk("Le conseil citoyen est composé d'habitants tirés au sort."), 1.0, 1))]
    text, sentences, removed = check(
        "Le conseil citoyen est composé d'habitants tirés au sort [1]. Le maire le préside seul [1][4].", given)
    assert removed == [4] and "[4]" not in text
    assert [s.supported for s in sentences] == [True, False]


def test_echo() -> None:
    actes = chunk("Vers une nouvelle politique contractuelle ?\n\nQuel est sa direction ?")
    assert echo("Vers une nouvelle politique contractuelle ? [1]", [actes])
    assert echo("« Quel est sa direction » [1]", [actes])  # a question of the corpus, even without its mark
    assert not echo("Cette question a été posée dans « Journée nationale » [1], qui ne contient pas de réponse.",
                    [actes])


def test_cut_list() -> None:
    cited = [chunk(LIST)]
    assert cut_list("Le conseil citoyen comprend : des habitants tirés au sort ; [1]", cited)
    assert cut_list("Fiche [1] :\nLe conseil citoyen comprend :", cited)  # an introduction without its items
    assert not cut_list(f"Fiche [1] :\n{LIST}", cited)
    assert not cut_list("Le conseil citoyen est un lieu d'échange [1].", cited)


def test_orphan_start() -> None:
    assert orphan_start("Fiche — Composition [1] :\n« Il est financé par l'État. »")
    assert orphan_start("elle passe avec eux des conventions [1].")
    assert not orphan_start("Fiche — Composition [1] :\n« Le conseil citoyen est financé par l'État. »")
    assert not orphan_start(f"Fiche [1] :\n{LIST}")
    assert not orphan_start("Code [1] :\n« Il est créé un établissement public national. »")  # impersonal
    assert orphan_start("Code [1] :\n« Il est financé par l'État. »")


def test_a_pronoun_whose_antecedent_is_quoted_just_before_it_is_not_an_orphan() -> None:
    article = chunk("Le contrat d'adulte-relais améliore les relations entre habitants et services publics.\n\n"
                    "Il donne lieu à une convention entre l'État et l'employeur.", "Article L5134-100")
    answer = ("Code — Article L5134-100 [1] :\n« Le contrat d'adulte-relais améliore les relations entre habitants "
              "et services publics. »\n\n« Il donne lieu à une convention entre l'État et l'employeur. »")
    assert not orphan_start(answer, [article])
    assert orphan_start(answer.split("\n\n")[0].split(":")[0] + ":\n« Il donne lieu à une convention. »", [article])
    # the same two pieces, but not next to each other in the text cited: the antecedent is not the one quoted
    other = chunk("Le contrat d'adulte-relais améliore les relations entre habitants et services publics.\n\n"
                  "Le préfet signe.\n\nIl donne lieu à une convention entre l'État et l'employeur.", "Article")
    assert orphan_start(answer, [other])


def test_duplicate() -> None:
    sentence = "Le conseil citoyen est composé d'habitants tirés au sort."
    assert duplicate(f"{sentence} [1] {sentence} [2]")
    assert not duplicate(f"{sentence} [1] Le préfet le reconnaît par arrêté [2].")


def test_bibliography() -> None:
    sources = chunk("- Loi n° 2014-173 du 21 février 2014, article 7 (conseils citoyens)", "Fiche > Sources")
    assert bibliography("Loi n° 2014-173 du 21 février 2014, article 7 (conseils citoyens) [1]", [sources])
    assert not bibliography("Le conseil citoyen est composé d'habitants [1].", [sources])


def test_mixed_subject() -> None:
    cc = chunk("La communauté de communes exerce des compétences optionnelles.", "EPCI > Communauté de communes")
    ca = chunk("La politique de la ville fait partie des compétences obligatoires de la communauté "
               "d'agglomération.", "EPCI > Communauté d'agglomération")
    question = "Quelles sont les compétences d'une communauté de communes ?"
    mixed = f"Fiche [1] :\n« {cc.text} »\n\nFiche [2] :\n« {ca.text} »"
    assert mixed_subject(question, mixed, [cc, ca])
    assert not mixed_subject(question, f"Fiche [1] :\n« {cc.text} »", [cc])
    # both named: nothing is mixed
    assert not mixed_subject("communauté de communes ou communauté d'agglomération ?", mixed, [cc, ca])


def test_check_drops_echoed_questions_and_repeats_of_a_generated_answer() -> None:
    given = [Citation(1, Hit(chunk("Le conseil citoyen est composé d'habitants tirés au sort."), 1.0, 1))]
    text, sentences, _ = check("Qui compose le conseil citoyen ? Des habitants tirés au sort [1]. "
                               "Des habitants tirés au sort [1].", given)
    assert [s.text for s in sentences] == ["Des habitants tirés au sort."] and not echo(text, []) and not duplicate(text)
