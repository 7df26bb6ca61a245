"""French analysis: folding, elisions, stop words, shared stems, legal ids, numbers, glossary expansion."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest

from assistant.textfr import STOP_WORDS, Analyzer, contains, expand_query, fold, tokenize


def test_fold() -> None:
    assert fold("Élève, CŒUR et Æsope à l’ÉTÉ") == "eleve, coeur et aesope a l’ete"
    assert fold("ﬁnancement") == "financement"  # NFKC: ligatures from PDFs


@pytest.mark.parametrize(
    "elided, plain",
    [
        ("l'intercommunalité", "intercommunalité"),
        ("l’intercommunalité", "intercommunalité"),
        ("d'agglomération", "agglomération"),
        ("qu'il exerce", "exerce"),
        ("jusqu'au terme", "terme"),
        ("lorsqu’elle délibère", "délibère"),
        ("puisqu'on vote", "vote"),
        ("s'applique", "applique"),
        ("c'est l'État", "État"),
        ("n'a pas", ""),
        ("j'habite", "habite"),
        ("m'inscrire t'inscrire", "inscrire inscrire"),
    ],
)
def test_elisions_are_split_off(elided: str, plain: str) -> None:
    assert tokenize(elided) == tokenize(plain)


@pytest.mark.parametrize(
    "words",
    [
        ["quartiers", "quartier", "Quartier"],
        ["intercommunalité", "intercommunalités", "intercommunale", "intercommunales", "intercommunal"],
        ["intercommunalite", "INTERCOMMUNALITÉ"],  # typed without accents, or in capitals
        ["remplacées", "remplacees", "remplacé", "remplace"],
        ["prioritaires", "prioritaire"],
        ["délégués", "délégué", "delegue"],
        ["métropoles", "metropole"],
        ["communautés", "communaute"],
    ],
)
def test_inflections_and_accents_share_a_token(words: list[str]) -> None:
    tokens = {tuple(tokenize(w)) for w in words}
    assert len(tokens) == 1, tokens
    assert len(tokens.pop()) == 1


def test_stop_words_are_dropped_with_or_without_accents() -> None:
    assert tokenize("Le, la, les, de, des, du, et, à, où, qui, que, était, etait, été, ete, être") == []
    assert tokenize("Qu'est-ce que la politique de la ville ?") == tokenize("politique ville")
    assert {"le", "de", "qu", "jusqu"} <= STOP_WORDS


@pytest.mark.parametrize(
    "text",
    ["L5214-16", "L. 5214-16", "l5214-16", "L.5214-16", "L 5214-16", "l'article L. 5214-16", "Art. L.5214-16 du CGCT"],
)
def test_article_numbers_in_any_spelling_give_the_same_tokens(text: str) -> None:
    tokens = tokenize(text)
    assert "l5214-16" in tokens
    assert "5214-16" in tokens  # "article 5214-16", without its L, still matches


def test_article_numbers_stay_distinct() -> None:
    assert "l5214-16" not in tokenize("L5214-16-1")
    assert "l5214-16-1" in tokenize("L. 5214-16-1")
    assert "r2122-1" in tokenize("R. 2122-1")
    assert "lo141" in tokenize("L.O. 141")


def test_prose_is_not_taken_for_an_article() -> None:
    assert tokenize("il y a 3 ans") == ["3", "an"]
    assert tokenize("au total. 2014") == ["total", "2014"]
    assert tokenize("il a 2014-173") == ["2014-173", "2014"]


def test_prepositions_are_stop_words() -> None:
    # « devant » stemmed to « dev », « durant » to « dur » like « durée »: words no answer is about
    assert tokenize("le rapport devant le conseil durant l'année selon la loi") == tokenize("rapport conseil année loi")


def test_a_prefix_with_or_without_its_hyphen_gives_a_shared_token() -> None:
    assert set(tokenize("coformation")) <= set(tokenize("la co-formation des habitants"))
    assert set(tokenize("co-construction")) & set(tokenize("coconstruction"))
    assert set(tokenize("sous-préfet")) & set(tokenize("sousprefet"))
    # not any hyphenated word: « porte-parole » is not « porteparole », a range of years stays a range
    assert "porteparol" not in tokenize("porte-parole")
    assert tokenize("2015-2020") == ["2015-2020", "2015", "2020"]


def test_numbers_are_kept() -> None:
    assert tokenize("loi n° 2014-173") == ["loi", "2014-173", "2014"]
    assert "2014-173" in tokenize("loi n°2014-173 du 21 février 2014")
    assert tokenize("1\u00a0000 habitants") == tokenize("1000 habitants") == ["1000", "habit"]
    assert tokenize("2014 200") == ["2014", "200"]
    assert tokenize("article 12, alinéa 3") == ["articl", "12", "alin", "3"]
    assert "2020" in tokenize("contrat de ville 2015-2020")
    assert tokenize("covid-19") == ["covid", "19"]


def test_analysis_variants() -> None:
    assert Analyzer(stem=False).tokenize("Les Quartiers prioritaires") == ["quartiers", "prioritaires"]
    assert Analyzer(fold="none").tokenize("intercommunalité élus") == ["intercommunal", "élus"]
    assert Analyzer(fold="after").tokenize("intercommunalité") == ["intercommunal"]
    assert Analyzer(stop_words=False).tokenize("la ville") == ["la", "vill"]
    assert Analyzer() == Analyzer() and Analyzer(stem=False) != Analyzer()


def test_expansion_of_an_acronym() -> None:
    expanded = expand_query("combien de qpv ?")
    assert expanded.startswith("combien de qpv ?")
    assert "quartiers prioritaires" in expanded
    assert expand_query("Les QPV") != "Les QPV"


def test_expansion_of_a_long_form_adds_its_acronym() -> None:
    assert "QPV" in expand_query("les quartiers prioritaires de Lyon")
    assert "EPCI" in expand_query("Établissements publics de coopération intercommunale")
    assert "loi Lamy" in expand_query("loi n° 2014-173")


def test_expansion_matches_whole_words_only() -> None:
    for query in ("un repas en plein air", "la pluie", "les qpvx", "la ville"):
        assert expand_query(query) == query


def test_glossary_entries_are_usable() -> None:
    raw = json.loads(files("assistant").joinpath("data/glossaire.json").read_text(encoding="utf-8"))
    entries = {k: v for k, v in raw.items() if not k.startswith("_")}
    assert {"QPV", "ZUS", "EPCI", "ANRU", "NPNRU", "DPV", "CLSPD", "agglo", "comcom", "interco"} <= set(entries)
    for key, forms in entries.items():
        assert tokenize(key), f"{key} : la clé ne donne aucun mot (mot vide ?)"
        assert forms and all(isinstance(f, str) and tokenize(f) for f in forms), key
    # keys are matched without regard to case or accents: « ACSé » beside « Acsé » would be one key twice
    folded = [fold(k.lower()) for k in entries]
    assert len(folded) == len(set(folded)), sorted(k for k in folded if folded.count(k) > 1)


def test_contains_a_phrase_in_order_with_some_slack() -> None:
    tokens = tokenize("L'ANRU est un établissement public national à caractère industriel et commercial")
    epic = tuple(tokenize("établissement public à caractère industriel et commercial"))
    assert not contains(tokens, epic) and contains(tokens, epic, slack=2)
    assert not contains(tokenize("le préfet est son délégué"), tuple(tokenize("délégué du préfet")), slack=2)
    assert contains(tokenize("le délégué du préfet"), tuple(tokenize("délégué du préfet")))
