"""Reports and baseline comparison, from hand-made hits and answers (no store, no model)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

from assistant.answer import Answer, AnswerSentence, Citation
from assistant.types import Chunk, Hit
from evals.compare import compare, diff_markdown
from evals.matching import Gold, Question, assign_groups
from evals.report import markdown_table, ordered_questions, report_markdown, write_reports
from evals.scoring import AGGREGATE_KEYS, aggregate, score_question

GOLD = Chunk(id="g", text="Les membres sont tirés au sort parmi les habitants.", source="fiches/conseils.md",
             root="/corpus", title="Conseils citoyens", section="Conseils citoyens > Composition")
OTHER = Chunk(id="o", text="Le contrat de ville dure six ans.", source="fiches/contrats.md", root="/corpus",
              title="Contrats de ville", section="Contrats de ville > Durée")
QUESTIONS = assign_groups([
    Question("q-1", "Comment choisit-on les <membres> & les « habitants » ?", True,
             (Gold("fiches/conseils.md", "Composition"),), ("tirés au sort",)),
    Question("q-2", "Horaires de la piscine <script>alert(1)</script> ?", False),
], [GOLD, OTHER])


def answer(question: str, hits: list[Hit], abstained: bool) -> Answer:
    citations = (Citation(1, hits[0]),)
    sentences = () if abstained else (AnswerSentence(hits[0].chunk.text, (1,), True, 1.0),)
    text = "Je n'ai rien trouvé de fiable." if abstained else hits[0].chunk.text + " [1]"
    return Answer(question, text, abstained, "extractive", citations, sentences,
                  {"retrieve_ms": 12.0, "answer_ms": 3.0})


def run(gold_rank: int) -> dict[str, Any]:
    """A run with one configuration where the gold passage comes at `gold_rank` for q-1."""
    hits = [Hit(OTHER, 0.5, r) for r in range(1, 6)]
    hits[gold_rank - 1] = Hit(GOLD, 0.9, gold_rank)
    rows = []
    for q in QUESTIONS:
        r = score_question(q, hits, answer(q.question, hits, abstained=not q.answerable or gold_rank > 1))
        rows.append({"id": q.id, "question": q.question, "answerable": q.answerable, "relevant": q.relevant,
                     "gold": [g.to_json() for g in q.gold], "key_facts": list(q.key_facts),
                     "results": {"hybrid": r, "dense": copy.deepcopy(r)}})
    aggregates = {c: aggregate(rows, c) for c in ("hybrid", "dense")}
    return {"aggregates": aggregates, "questions": rows, "meta": {"date": "2026-01-01", "skipped": []}}


def test_scores_of_a_hand_made_question() -> None:
    good = run(1)
    r = good["questions"][0]["results"]["hybrid"]
    assert r["first_relevant_rank"] == 1 and r["hit@1"] == 1.0 and r["ndcg@10"] == 1.0
    assert r["key_fact_coverage"] == 1.0 and r["citation_precision"] == 1.0 and r["supported_share"] == 1.0
    agg = good["aggregates"]["hybrid"]
    assert agg["abstention_accuracy"] == 1.0 and agg["false_refusal_rate"] == 0.0
    assert agg["latency_p50_ms"] == 15.0
    worse = run(3)["questions"][0]["results"]["hybrid"]
    assert worse["hit@1"] == 0.0 and worse["hit@3"] == 1.0 and worse["mrr@10"] == 1 / 3
    assert worse["key_fact_coverage"] == 0.0 and worse["citation_precision"] is None  # abstained
    assert "s'est abstenu à tort" in worse["failures"]


def test_markdown_table_has_one_row_per_configuration() -> None:
    lines = markdown_table(run(1)).splitlines()
    assert len(lines) == 4
    assert [line.split(" | ")[0] for line in lines[2:]] == ["| hybrid", "| dense"]
    assert "| 15.0 |" in lines[2]


def test_failures_come_first() -> None:
    results = run(1)
    results["questions"][1]["results"]["hybrid"] = copy.deepcopy(results["questions"][1]["results"]["hybrid"])
    results["questions"][1]["results"]["hybrid"]["failures"] = ["a répondu au lieu de s'abstenir"]
    assert [q["id"] for q in ordered_questions(results)] == ["q-2", "q-1"]


def test_reports_are_written_and_the_html_is_self_contained(tmp_path: Path) -> None:
    paths = write_reports(run(2), tmp_path / "out")
    assert [p.name for p in paths] == ["results.json", "report.md", "report.html"]
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2  # recall@k and latency
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:)""", page)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;membres&gt; &amp; les « habitants »" in page
    assert page.index("q-1") < page.index("q-2")  # q-1 fails (abstained at rank 2), so it comes first
    data = json.loads(paths[0].read_text(encoding="utf-8"))
    assert set(data) == {"aggregates", "questions", "meta"}
    assert set(AGGREGATE_KEYS) <= set(data["aggregates"]["hybrid"])
    md = paths[1].read_text(encoding="utf-8")
    assert "| configuration |" in md and "q-1" in md


def test_baseline_diff_lists_a_regression_when_a_question_gets_worse(tmp_path: Path) -> None:
    before, after = run(1), run(3)
    diff = compare(before, after)
    regressions = [(r["id"], r["config"], r["change"]) for r in diff["regressions"]]
    assert ("q-1", "hybrid", "premier passage de référence : rang 1 → rang 3") in regressions
    assert ("q-1", "hybrid", "faits clés : 1.00 → 0.00") in regressions
    assert ("q-1", "hybrid", "s'abstient désormais à tort") in regressions
    assert not diff["improvements"]
    assert diff["aggregates"]["hybrid"]["hit@1"] == {"old": 1.0, "new": 0.0, "delta": -1.0}
    back = compare(after, before)
    assert {i["change"] for i in back["improvements"]} >= {"premier passage de référence : rang 3 → rang 1"}
    text = diff_markdown(diff)
    assert "### Régressions (" in text and "rang 1 → rang 3" in text
    assert "rang 1 → rang 3" in report_markdown(after, text)
    write_reports(after, tmp_path / "out", diff)
    assert "rang 1 → rang 3" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    saved = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert saved["meta"]["baseline"]["regressions"]


def test_unanswerable_question_answered_is_a_regression() -> None:
    before = run(1)
    after = copy.deepcopy(before)
    after["questions"][1]["results"]["dense"]["abstained"] = False
    diff = compare(before, after)
    assert [(r["id"], r["config"], r["change"]) for r in diff["regressions"]] == [
        ("q-2", "dense", "répond au lieu de s'abstenir")]
