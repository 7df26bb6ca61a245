"""French clean-up: Unicode, spaces, de-hyphenation, unwrapping."""

from __future__ import annotations

import pytest

from ingest.clean import clean_lines, clean_text


def test_ligatures_become_letters() -> None:
    assert clean_text("Le ﬁnancement eﬀectif des ﬂux") == "Le financement effectif des flux"


def test_invisible_characters_are_dropped() -> None:
    assert clean_text("inter\u00adcommunale\u200b et\ufeff zéro\u200dlargeur") == "intercommunale et zérolargeur"


def test_non_breaking_spaces_become_plain_spaces() -> None:
    assert clean_text("article\u00a07\u202f: 3\u202f500\u00a0habitants") == "article 7 : 3 500 habitants"


def test_spaces_tabs_and_blank_lines_are_collapsed() -> None:
    text = "  Premier   paragraphe,\tsuite.   \n\n\n\n  Second\t\tparagraphe.  \n"
    assert clean_text(text) == "Premier paragraphe, suite.\n\nSecond paragraphe."


def test_line_separators_are_normalised() -> None:
    assert clean_text("un\r\ndeux\rtrois\x0cquatre\u2028cinq") == "un\ndeux\ntrois\nquatre\ncinq"


def test_accents_case_and_punctuation_are_kept() -> None:
    text = "À L'ÉTAT, l'Élu œuvre ; « déjà » — Île-de-France n° 2014-173 !"
    assert clean_text(text) == text


def test_typographic_apostrophe_becomes_straight() -> None:
    assert clean_text("l’article et l’État") == "l'article et l'État"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("les conditions d'amélio-\nrer la vie", "les conditions d'améliorer la vie"),
        ("mentionnés à l'article L. 5711-\n1 du code", "mentionnés à l'article L. 5711-1 du code"),
        ("l'article L. 2123-\n11-2 du code", "l'article L. 2123-11-2 du code"),
        ("le président et les vice-\nprésidents", "le président et les vice-présidents"),
        ("la population de celle-\nci est", "la population de celle-ci est"),
        ("il pourra peut-\nêtre venir", "il pourra peut-être venir"),
        ("dépôt etalab/codes-\njuridiques-francais.", "dépôt etalab/codes-juridiques-francais."),
        ("0,3 × RMUC-\nUU", "0,3 × RMUC-UU"),
        ("la commune de Saint-\nDenis", "la commune de Saint-Denis"),
    ],
)
def test_line_end_hyphens(text: str, expected: str) -> None:
    assert clean_text(text, unwrap=True) == expected


def test_joined_word_seen_elsewhere_wins_over_compound_list() -> None:
    # "elle" is a compound part (celle-ci…), but the document itself writes "nouvelle".
    text = "une nouv-\nelle règle\n\nla nouvelle loi"
    assert clean_text(text, unwrap=True) == "une nouvelle règle\n\nla nouvelle loi"
    assert clean_text("une nouv-\nelle règle", unwrap=True) == "une nouv-elle règle"


def test_hyphenated_form_seen_elsewhere_is_kept() -> None:
    # Without the second occurrence, "contre-⏎mesures" would be taken for a typesetting break.
    assert clean_text("des contre-\nmesures", unwrap=True) == "des contremesures"
    text = "des contre-\nmesures\n\nles contre-mesures prévues"
    assert clean_text(text, unwrap=True) == "des contre-mesures\n\nles contre-mesures prévues"


def test_dehyphenation_can_be_turned_off() -> None:
    assert clean_text("amélio-\nrer", dehyphenate=False) == "amélio-\nrer"


def test_no_join_across_a_blank_line_or_a_dash() -> None:
    assert clean_text("fin -\nsuite") == "fin -\nsuite"
    assert clean_text("titre-\n\nsuite") == "titre-\n\nsuite"


def test_unwrap_joins_wrapped_lines_but_keeps_paragraph_starts() -> None:
    text = (
        "Elle est conduite par\nl'Etat et les collectivités.\nElle vise, à :\n"
        "1° Lutter contre les\ninégalités ;\n2° Garantir l'accès.\n\nNouveau paragraphe."
    )
    assert clean_text(text, unwrap=True) == (
        "Elle est conduite par l'Etat et les collectivités.\nElle vise, à :\n"
        "1° Lutter contre les inégalités ;\n2° Garantir l'accès.\n\nNouveau paragraphe."
    )
    assert clean_text("Elle est conduite par\nl'Etat.") == "Elle est conduite par\nl'Etat."


def test_clean_lines_reports_where_each_line_starts() -> None:
    lines = ["  Premier  ", "amélio-", "rer la vie", "", "Suite"]
    text, starts = clean_lines(lines, unwrap=True)
    assert text == "Premier améliorer la vie\n\nSuite"
    assert starts[3] is None
    assert text[starts[0] :].startswith("Premier")
    assert text[starts[1] :].startswith("améliorer")
    assert text[starts[2] :].startswith("rer la vie")
    assert text[starts[4] :] == "Suite"
