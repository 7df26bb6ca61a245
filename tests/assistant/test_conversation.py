"""Follow-up questions keep the conversation's subject over several turns."""

from __future__ import annotations

from assistant.conversation import anchor, condense

FIRST = "Quelles compétences exerce une communauté de communes ?"


def test_a_third_follow_up_leans_on_the_question_that_stands_alone() -> None:
    history = [FIRST, "et pour les métropoles ?"]
    assert condense("et pour les communautés urbaines ?", history) == f"{FIRST} et pour les communautés urbaines ?"


def test_a_new_subject_becomes_the_anchor() -> None:
    history = [FIRST, "et pour les métropoles ?", "Comment sont choisis les membres d'un conseil citoyen ?"]
    assert anchor(history) == "Comment sont choisis les membres d'un conseil citoyen ?"
    assert condense("et qui les reconnaît ?", history).startswith("Comment sont choisis")


def test_only_follow_ups_fall_back_on_the_oldest() -> None:
    assert anchor(["et pour les métropoles ?", "et pour les villes ?"]) == "et pour les métropoles ?"
    assert anchor(["", "  "]) is None
    assert condense("et pour les villes ?", []) == "et pour les villes ?"
