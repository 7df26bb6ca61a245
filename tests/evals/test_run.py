"""`carrefour eval` with the hash embedder on a tiny corpus: matching rule, metrics, configurations, contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.types import Chunk, Hit
from evals.matching import Gold, Question, assign_groups, chunk_matches, hit_gold, load_questions
from evals.naive import NaiveIndex, naive_collection
from evals.run import evaluate, parse_configs
from evals.scoring import AGGREGATE_KEYS, EXTRA_KEYS, retrieval_scores
from ingest.pipeline import Ingestor
from ui.cli import main

ARTICLE = (
    "La politique de la ville est une politique de cohésion urbaine et de solidarité envers les quartiers "
    "défavorisés et leurs habitants. Elle mobilise en premier lieu les politiques publiques de droit commun."
)
QUESTIONS = [
    {"id": "t-01", "question": "Comment sont choisis les membres du conseil citoyen ?", "answerable": True,
     "gold": [{"source": "fiches/conseils.md", "section": "Composition", "record_id": None}],
     "key_facts": ["tirés au sort"], "notes": ""},
    {"id": "t-02", "question": "La politique de la ville est une politique de quoi envers les quartiers défavorisés ?",
     "answerable": True,
     "gold": [{"source": "loi-lamy/article-1.md", "section": "Article 1", "record_id": None},
              {"source": "extraits.jsonl", "section": None, "record_id": "lamy:Article 1"}],
     "key_facts": ["cohésion urbaine et de solidarité"], "notes": ""},
    {"id": "t-03", "question": "Quels sont les horaires de la piscine municipale de Tourcoing le dimanche ?",
     "answerable": False, "gold": [], "key_facts": [], "notes": ""},
    {"id": "t-04", "question": "Que dit l'article 99 du décret sur les stations de ski ?", "answerable": True,
     "gold": [{"source": "decret-absent/article-99.md", "section": None, "record_id": None}],
     "key_facts": ["stations de ski"], "notes": "référence hors de l'index : écartée"},
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _hash_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARREFOUR_EMBEDDER", "hash")  # for the CLI, which builds its own Settings


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path, Path]:
    tmp = tmp_path_factory.mktemp("eval")
    corpus = tmp / "corpus"
    write(corpus / "fiches" / "conseils.md", "# Conseils citoyens\n\n## Composition\n\nLes membres du conseil citoyen "
          "sont des habitants tirés au sort dans le quartier et des acteurs locaux, dans le respect de la parité.\n\n"
          "## Missions\n\nLe conseil citoyen participe à toutes les instances de pilotage du contrat de ville.\n")
    write(corpus / "fiches" / "contrats.md", "# Contrats de ville\n\n## Durée\n\nLe contrat de ville est conclu pour "
          "six ans entre l'État, l'intercommunalité et les communes.\n")
    write(corpus / "textes" / "loi-lamy" / "article-1.md", f"# Article 1\n\n{ARTICLE}\n")
    write(corpus / "textes" / "extraits.jsonl", json.dumps(
        {"id": "lamy:Article 1", "article": "Article 1", "text": ARTICLE}, ensure_ascii=False) + "\n")
    questions = write(tmp / "questions.jsonl", "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS))
    settings = Settings(data_dir=tmp / "data", embedder="hash")
    assistant = Assistant(settings)
    Ingestor(settings, assistant.embedder, assistant.store, quiet=True).run([corpus])
    return settings, corpus, questions


@pytest.fixture(scope="module")
def results(env: tuple[Settings, Path, Path]) -> dict:
    settings, _, questions = env
    return evaluate(Assistant(settings), load_questions([str(questions)]), ["bm25", "dense", "hybrid", "naive"],
                    sources=[str(questions)])


def chunk(source: str, section: str | None = None, record_id: str | None = None, title: str = "T",
          text: str = "texte", root: str = "/corpus") -> Chunk:
    return Chunk(id=source + (section or "") + (record_id or ""), text=text, source=source, root=root, title=title,
                 section=section, record_id=record_id)


# ---- matching rule -----------------------------------------------------------------------------------------


def test_source_is_a_path_suffix_on_a_folder_boundary() -> None:
    gold = Gold("loi-lamy/article-1.md")
    assert chunk_matches(chunk("textes/loi-lamy/article-1.md"), gold)
    assert chunk_matches(chunk("article-1.md", root="/shared/loi-lamy"), gold)  # folders above the root count
    assert not chunk_matches(chunk("textes/autre-loi-lamy/article-1.md"), gold)
    assert not chunk_matches(chunk("textes/loi-lamy/article-11.md"), gold)


def test_section_equal_or_end_of_heading_path_or_title() -> None:
    gold = Gold("fiches/conseils.md", "Composition")
    assert chunk_matches(chunk("fiches/conseils.md", "Composition"), gold)
    assert chunk_matches(chunk("fiches/conseils.md", "Conseils citoyens > Composition"), gold)
    assert chunk_matches(chunk("fiches/conseils.md", None, title="Composition"), gold)
    assert not chunk_matches(chunk("fiches/conseils.md", "Conseils citoyens > Missions"), gold)
    assert not chunk_matches(chunk("fiches/conseils.md", "Recomposition"), gold)


def test_record_id_must_be_equal() -> None:
    gold = Gold("cgct.jsonl", None, "cgct:L1")
    assert chunk_matches(chunk("legi/cgct.jsonl", "Partie > Livre", "cgct:L1"), gold)
    assert not chunk_matches(chunk("legi/cgct.jsonl", "Partie > Livre", "cgct:L2"), gold)


def test_a_deduplicated_hit_matches_the_gold_of_any_of_its_copies() -> None:
    focus = chunk("focus/cgct.md", "Article L1")  # the Markdown copy has no record_id
    record = chunk("cgct.jsonl", None, "cgct:L1")
    question = Question("q", "?", True, (Gold("cgct.jsonl", None, "cgct:L1"),))
    assert hit_gold(Hit(focus, 1.0, 1), question) == set()
    assert hit_gold(Hit(focus, 1.0, 1, also_in=("cgct.jsonl#cgct:L1",), duplicates=(record,)), question) == {0}


def test_gold_entries_with_the_same_text_form_one_group() -> None:
    q = Question("q", "?", True, (Gold("a.md", "Article 1"), Gold("x.jsonl", None, "r1"), Gold("b.md")))
    chunks = [chunk("a.md", "Article 1", text="Même texte."), chunk("x.jsonl", None, "r1", text="même  texte"),
              chunk("b.md", text="Autre chose.")]
    (grouped,) = assign_groups([q], chunks)
    assert grouped.groups == (0, 0, 1)
    assert grouped.relevant == 2
    assert grouped.present == (True, True, True)
    (partly,) = assign_groups([Question("q", "?", True, (Gold("c.md"), Gold("b.md"), Gold("a.md")))], chunks)
    assert partly.present == (False, True, True)
    assert partly.groups == (-1, 0, 1) and partly.relevant == 2  # what the index lacks cannot be retrieved


def test_several_hits_on_one_gold_group_count_once() -> None:
    scores = retrieval_scores([None, 0, 0, None, 1], relevant=2)
    assert scores["hit@1"] == 0.0 and scores["hit@3"] == 1.0
    assert scores["recall@5"] == 1.0
    assert scores["mrr@10"] == 0.5
    assert retrieval_scores([0, 0, 0], relevant=2)["recall@5"] == 0.5
    assert retrieval_scores([None], relevant=0)["ndcg@10"] is None


# ---- the run -----------------------------------------------------------------------------------------------


def test_aggregates_have_exactly_the_specified_keys(results: dict) -> None:
    assert list(results) == ["aggregates", "questions", "meta"]
    assert list(results["aggregates"]) == ["bm25", "dense", "hybrid", "naive"]
    for agg in results["aggregates"].values():
        assert set(AGGREGATE_KEYS) <= set(agg)
        assert set(agg) == set(AGGREGATE_KEYS) | set(EXTRA_KEYS)
        assert all(v is None or isinstance(v, (int, float)) for v in agg.values())
        assert agg["questions"] == 3 and agg["answerable"] == 2 and agg["unanswerable"] == 1
        for key in AGGREGATE_KEYS:
            assert agg[key] is not None, key


def test_hybrid_finds_the_gold_passages(results: dict) -> None:
    agg = results["aggregates"]["hybrid"]
    assert agg["hit@5"] == 1.0
    by_id = {q["id"]: q for q in results["questions"]}
    assert by_id["t-02"]["relevant"] == 1  # the article and its JSONL record are one passage
    assert [g["group"] for g in by_id["t-02"]["gold"]] == [0, 0]
    assert by_id["t-02"]["results"]["hybrid"]["recall@5"] == 1.0


def test_question_without_gold_in_the_store_is_skipped(results: dict) -> None:
    assert [q["id"] for q in results["questions"]] == ["t-01", "t-02", "t-03"]
    (skipped,) = results["meta"]["skipped"]
    assert skipped["id"] == "t-04" and "decret-absent/article-99.md" in skipped["reason"]


def test_metrics_are_null_where_they_do_not_apply(env: tuple[Settings, Path, Path]) -> None:
    settings, _, questions = env
    qs = load_questions([str(questions)])
    only_unanswerable = evaluate(Assistant(settings), [q for q in qs if not q.answerable], ["hybrid"])
    agg = only_unanswerable["aggregates"]["hybrid"]
    for key in ("hit@1", "hit@10", "mrr@10", "ndcg@10", "key_fact_coverage", "citation_precision",
                "false_refusal_rate"):
        assert agg[key] is None, key
    assert agg["abstention_accuracy"] == 1.0
    row = only_unanswerable["questions"][0]["results"]["hybrid"]
    assert row["hit@5"] is None and row["key_fact_coverage"] is None
    only_answerable = evaluate(Assistant(settings), [q for q in qs if q.answerable], ["bm25"])
    assert only_answerable["aggregates"]["bm25"]["abstention_accuracy"] is None


def test_naive_config_builds_its_own_collection_and_reuses_it(env: tuple[Settings, Path, Path], results: dict) -> None:
    settings, _, _ = env
    assistant = Assistant(settings)
    index = NaiveIndex(settings, assistant.embedder)
    assert index.name == naive_collection(assistant.embedder.id) == "carrefour-naive-hash-256"
    assert index.up_to_date()
    state = results["meta"]["naive"]
    assert state["chunks"] == index.count() > 0
    assert index.ensure() == state  # up to date: not rebuilt
    hits = index.search("membres du conseil citoyen tirés au sort", k=5)
    assert 0 < len(hits) <= 5 and hits[0].chunk.source == "fiches/conseils.md"
    assert not {h.chunk.id for h in hits} & assistant.store.ids()  # its own collection
    naive = results["aggregates"]["naive"]
    assert naive["hit@10"] is not None


def test_naive_index_is_rebuilt_when_the_corpus_changes(tmp_path: Path) -> None:
    corpus = write(tmp_path / "c" / "a.md", "# A\n\nLe contrat de ville dure six ans dans chaque quartier.\n").parent
    settings = Settings(data_dir=tmp_path / "data", embedder="hash")
    assistant = Assistant(settings)
    Ingestor(settings, assistant.embedder, assistant.store, quiet=True).run([corpus])
    index = NaiveIndex(settings, assistant.embedder)
    assert index.ensure()["chunks"] == 1
    write(corpus / "b.md", "# B\n\nLes conseils citoyens réunissent des habitants tirés au sort.\n")
    Ingestor(settings, assistant.embedder, assistant.store, quiet=True).run([corpus])
    assert not index.up_to_date()
    assert index.ensure()["chunks"] == 2
    assert {h.chunk.source for h in index.search("conseils citoyens", 5)} == {"a.md", "b.md"}


def test_unknown_configuration_lists_the_valid_ones(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ConfigError, match="bm25, dense, hybrid, naive"):
        parse_configs("hybrid,rerank")
    assert main(["eval", "--questions", "x.jsonl", "--configs", "rerank"]) == 2
    assert "rerank" in capsys.readouterr().err


def test_cli_prints_one_table_and_writes_results_json(env: tuple[Settings, Path, Path], tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    settings, _, questions = env
    out = tmp_path / "out"
    code = main(["eval", "--data-dir", str(settings.data_dir), "--questions", str(questions), "--configs",
                 "bm25,hybrid", "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    table = [line for line in printed.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| configuration | hit@1 |") and [r.split(" | ")[0] for r in table[2:]] == [
        "| bm25", "| hybrid"]
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert set(data) == {"aggregates", "questions", "meta"}
    assert set(data["aggregates"]) == {"bm25", "hybrid"}
    q = data["questions"][0]
    assert {"id", "question", "answerable", "gold", "key_facts", "results"} <= set(q)
    r = q["results"]["hybrid"]
    assert {"retrieved", "first_relevant_rank", "hit@5", "ndcg@10", "answer", "abstained", "citations",
            "key_fact_coverage", "citation_precision", "supported_share", "timings", "failures"} <= set(r)
    assert set(r["timings"]) >= {"retrieve_ms", "answer_ms", "total_ms"}
    assert (out / "report.md").exists() and (out / "report.html").exists()


def test_empty_store_is_a_clear_error(tmp_path: Path, env: tuple[Settings, Path, Path],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    _, _, questions = env
    code = main(["eval", "--data-dir", str(tmp_path / "vide"), "--questions", str(questions), "--quiet"])
    assert code == 2
    assert "carrefour ingest" in capsys.readouterr().err


def test_questions_from_a_piaf_folder_or_the_piaf_name(env: tuple[Settings, Path, Path], tmp_path: Path) -> None:
    _, _, questions = env
    folder = tmp_path / "piaf-out"
    write(folder / "questions.jsonl", questions.read_text(encoding="utf-8"))
    assert [q.id for q in load_questions([str(folder)])] == ["t-01", "t-02", "t-03", "t-04"]
    with pytest.raises(ConfigError, match="en double"):
        load_questions([str(questions), str(folder)])
    from evals.piaf import DEFAULT_PATH

    if not DEFAULT_PATH.exists():
        pytest.skip(f"{DEFAULT_PATH} absent : les données partagées (../shared) ne sont pas à côté du dépôt")
    piaf = load_questions(["piaf"])
    assert len(piaf) == 105 and piaf[0].gold[0].source.endswith(".md") and piaf[0].answerable
