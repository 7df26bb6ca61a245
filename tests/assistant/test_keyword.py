"""KeywordIndex: ranking, glossary expansion, filters before the cut-off, atomic save and load, errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.errors import StoreError
from assistant.keyword import KeywordIndex
from assistant.textfr import Analyzer
from assistant.types import Chunk, Filters


def chunk(cid: str, text: str, source: str, **kw: object) -> Chunk:
    return Chunk(id=cid, text=text, source=source, root=kw.pop("root", "corpus"), title=kw.pop("title", ""), **kw)  # type: ignore[arg-type]


CHUNKS = [
    chunk("qpv", "Les quartiers prioritaires de la politique de la ville sont définis par un seuil de 1 000 habitants "
          "et le revenu médian sur le territoire.", "fiches/qpv.md", kind="fiche", date="2015-01-01"),
    chunk("cgct", "La communauté de communes exerce de plein droit, au lieu et place des communes membres, des "
          "compétences sur le territoire.", "textes/cgct.jsonl", kind="loi", date="2015-05-01",
          title="Code général des collectivités territoriales", section="Article L5214-16"),
    chunk("contrat", "Le contrat de ville est signé pour six ans par l'État et l'intercommunalité du territoire.",
          "fiches/contrats.md", kind="fiche", date="2019-06-30"),
    chunk("conseils", "Les conseils citoyens réunissent des habitants tirés au sort sur le territoire.",
          "notes.txt", root="/data/mes-notes"),
    chunk("anru", "L'Agence nationale pour la rénovation urbaine finance les projets du territoire.",
          "actes/anru.md", kind="acte", date="2021-03-02"),
]


@pytest.fixture(scope="module")
def index() -> KeywordIndex:
    return KeywordIndex.build(CHUNKS)


def top(index: KeywordIndex, query: str, **kw: object) -> str | None:
    hits = index.search(query, **kw)  # type: ignore[arg-type]
    return hits[0][0] if hits else None


def test_len_and_ids(index: KeywordIndex) -> None:
    assert len(index) == 5
    assert index.ids == [c.id for c in CHUNKS]
    index.ids.append("x")  # a copy
    assert len(index.ids) == 5


@pytest.mark.parametrize(
    "query, expected",
    [
        ("seuil d'habitants d'un quartier prioritaire", "qpv"),
        ("article L5214-16", "cgct"),  # only in the section heading: indexed_text is what is indexed
        ("L.5214-16", "cgct"),
        ("l 5214-16 du CGCT", "cgct"),
        ("durée du contrat de ville", "contrat"),
        ("intercommunalite", "contrat"),  # typed without accents
        ("tirage au sort des conseils citoyens", "conseils"),
        ("ANRU", "anru"),  # only through the glossary
    ],
)
def test_top_hit(index: KeywordIndex, query: str, expected: str) -> None:
    assert top(index, query) == expected


def test_glossary_expansion_can_be_switched_off(index: KeywordIndex) -> None:
    assert top(index, "qpv") == "qpv"
    assert index.search("qpv", expand=False) == []


def test_scores_positive_best_first_and_k(index: KeywordIndex) -> None:
    hits = index.search("territoire", k=3)
    assert len(hits) == 3
    scores = [s for _, s in hits]
    assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)
    assert len(index.search("territoire", k=50)) == 5
    assert index.search("territoire", k=0) == []


def test_nothing_found(index: KeywordIndex) -> None:
    assert index.search("") == []
    assert index.search("le la les de du") == []
    assert index.search("zzzinconnu") == []


FILTERS = [
    Filters(kind="fiche"),
    Filters(kind="acte"),
    Filters(year_from=2016),
    Filters(year_to=2015),
    Filters(year_from=2015, year_to=2019),
    Filters(folder="fiches"),
    Filters(folder="mes-notes"),  # a file at the top of a root: the root's name
    Filters(kind="fiche", year_from=2016, folder="fiches"),
    Filters(kind="inconnu"),
    Filters(),
]


@pytest.mark.parametrize("filters", FILTERS)
def test_filters_agree_with_filters_accepts(index: KeywordIndex, filters: Filters) -> None:
    found = {cid for cid, _ in index.search("territoire", k=100, filters=filters)}
    assert found == {c.id for c in CHUNKS if filters.accepts(c)}


def test_filters_apply_before_the_cut_off() -> None:
    laws = [chunk(f"loi{i}", "territoire " * 5 + f"article {i}", f"textes/t{i}.md", kind="loi") for i in range(30)]
    fiches = [chunk(f"fiche{i}", f"territoire et bien d'autres mots encore {i}", f"fiches/f{i}.md", kind="fiche")
              for i in range(4)]
    index = KeywordIndex.build(laws + fiches)
    assert all(cid.startswith("loi") for cid, _ in index.search("territoire", k=3))
    hits = index.search("territoire", k=3, filters=Filters(kind="fiche"))
    assert len(hits) == 3 and all(cid.startswith("fiche") for cid, _ in hits)


def test_save_load_roundtrip(tmp_path: Path, index: KeywordIndex) -> None:
    index.save(tmp_path / "keyword")
    loaded = KeywordIndex.load(tmp_path / "keyword")
    assert loaded.ids == index.ids
    for query in ("article L5214-16", "qpv", "territoire"):
        for filters in (None, Filters(kind="fiche"), Filters(year_from=2016), Filters(folder="mes-notes")):
            assert loaded.search(query, filters=filters) == index.search(query, filters=filters)


def test_save_keeps_the_analysis(tmp_path: Path) -> None:
    raw = KeywordIndex.build(CHUNKS, analyzer=Analyzer(stem=False))
    raw.save(tmp_path / "k")
    loaded = KeywordIndex.load(tmp_path / "k")
    assert loaded._analyzer.config() == raw._analyzer.config() == Analyzer(stem=False).config()
    assert loaded.search("quartiers") == raw.search("quartiers") != []


def test_save_replaces_and_leaves_no_temporary_files(tmp_path: Path, index: KeywordIndex) -> None:
    KeywordIndex.build(CHUNKS[:1]).save(tmp_path / "keyword")
    index.save(tmp_path / "keyword")
    assert len(KeywordIndex.load(tmp_path / "keyword")) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["keyword"]


def test_load_falls_back_on_the_previous_index_after_a_crash_between_renames(
    tmp_path: Path, index: KeywordIndex
) -> None:
    index.save(tmp_path / "keyword")
    os.replace(tmp_path / "keyword", tmp_path / ".keyword.1a2b3c4d.old")
    assert KeywordIndex.load(tmp_path / "keyword").ids == index.ids


def test_empty_index(tmp_path: Path) -> None:
    empty = KeywordIndex.build([])
    assert len(empty) == 0 and empty.search("territoire") == []
    empty.save(tmp_path / "k")
    assert len(KeywordIndex.load(tmp_path / "k")) == 0


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError):
        KeywordIndex.build([CHUNKS[0], CHUNKS[0]])


def test_missing_index_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="introuvable"):
        KeywordIndex.load(tmp_path / "absent")


def test_corrupt_index_is_a_store_error(tmp_path: Path, index: KeywordIndex) -> None:
    index.save(tmp_path / "k")
    (tmp_path / "k" / "keyword.json").write_text("{pas du json", encoding="utf-8")
    with pytest.raises(StoreError, match="illisible"):
        KeywordIndex.load(tmp_path / "k")

    index.save(tmp_path / "k2")
    (tmp_path / "k2" / "bm25" / "vocab.index.json").unlink()
    with pytest.raises(StoreError, match="illisible"):
        KeywordIndex.load(tmp_path / "k2")

    index.save(tmp_path / "k3")
    (tmp_path / "k3" / "bm25" / "data.csc.index.npy").write_bytes(b"tronque")
    with pytest.raises(StoreError, match="illisible"):
        KeywordIndex.load(tmp_path / "k3")


def test_index_from_another_analysis_version_must_be_rebuilt(tmp_path: Path, index: KeywordIndex) -> None:
    index.save(tmp_path / "k")
    meta_path = tmp_path / "k" / "keyword.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["analysis_version"] = -1
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(StoreError, match="reconstruire"):
        KeywordIndex.load(tmp_path / "k")


def test_typos_are_corrected_against_the_vocabulary(index: KeywordIndex) -> None:
    words = sorted(w for w in index._bm25.vocab_dict if w.isalpha() and len(w) >= 7)
    assert len(words) >= 10
    for word in words:
        typo = word[:-2] + word[-1] + word[-2]  # two letters swapped: one edit, closer than any longer word
        assert not index.known(typo) and index.correct([typo]) == [word]
    assert index.correct(["zzzzzzzz"]) == ["zzzzzzzz"]  # nothing close: left as it is
    assert index.doc_freq(words[0]) >= 1 and index.doc_freq("zzzzzzzz") == 0
