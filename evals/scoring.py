"""Scores of one question under one configuration, and their aggregates per configuration.

Ranking metrics come from `evals.metrics` over gold *groups* (see `evals.matching`): several hits matching
the same group count once, at the first one's rank.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assistant.answer import Answer
from assistant.checks import DEFECTS, bare_text, defects
from assistant.retrieve import same_text, shingles
from assistant.types import Hit
from assistant.units import unit_key
from evals.matching import Question, facts_in, hit_gold, hit_groups
from evals.metrics import hit_at_k, mrr_at_k, ndcg_at_k, recall_at_k

AGGREGATE_KEYS = (
    "hit@1", "hit@3", "hit@5", "hit@10", "mrr@10", "ndcg@10", "key_fact_coverage", "citation_precision",
    "supported_share", "abstention_accuracy", "false_refusal_rate", "latency_p50_ms", "latency_p95_ms",
    "answer_key_fact_coverage", *DEFECTS, "partial_rate", "unit_duplicates",
)
EXTRA_KEYS = (
    "recall@5", "recall@10", "retrieve_p50_ms", "retrieve_p95_ms", "answer_p50_ms", "answer_p95_ms",
    "questions", "answerable", "unanswerable",
)
RANK_KEYS = ("hit@1", "hit@3", "hit@5", "hit@10", "recall@5", "recall@10", "mrr@10", "ndcg@10")
SNIPPET = 240


def ranked_ids(found: Sequence[int | None]) -> list[str]:
    """One id per rank: the gold group it matches, or a filler that is never relevant."""
    return [f"g{g}" if g is not None else f"-{r}" for r, g in enumerate(found, 1)]


def retrieval_scores(found: Sequence[int | None], relevant: int) -> dict[str, float | None]:
    """Ranking metrics for `found` (group matched at each rank, or None); None when nothing is relevant."""
    if relevant == 0:
        return {key: None for key in RANK_KEYS}
    ids, gold = ranked_ids(found), {f"g{g}" for g in range(relevant)}
    scores: dict[str, float | None] = {f"hit@{k}": hit_at_k(ids, gold, k) for k in (1, 3, 5, 10)}
    scores |= {f"recall@{k}": recall_at_k(ids, gold, k) for k in (5, 10)}
    scores["mrr@10"] = mrr_at_k(ids, gold, 10)
    scores["ndcg@10"] = ndcg_at_k(ids, gold, 10)
    return scores


def recall_curve(found: Sequence[int | None], relevant: int, top: int = 10) -> list[float]:
    ids, gold = ranked_ids(found), {f"g{g}" for g in range(relevant)}
    return [recall_at_k(ids, gold, k) for k in range(1, top + 1)]


def unit_duplicates(hits: Sequence[Hit], top: int = 10) -> int:
    """Slots of the top `top` that repeat a unit already listed: the same unit, or the same text in another form."""
    seen: list[tuple[str, set[str]]] = []
    repeats = 0
    for hit in hits[:top]:
        key, text = unit_key(hit.chunk), shingles(hit.chunk.text)
        if any(key == k or same_text(text, t) for k, t in seen):
            repeats += 1
        seen.append((key, text))
    return repeats


def _hit_row(hit: Hit, question: Question) -> dict[str, Any]:
    c = hit.chunk
    text = " ".join(c.text.split())
    return {
        "rank": hit.rank, "score": round(float(hit.score), 4), "source": c.source, "title": c.title,
        "section": c.section, "record_id": c.record_id, "also_in": list(hit.also_in),
        "gold": hit_groups(hit, question), "text": text[:SNIPPET] + ("…" if len(text) > SNIPPET else ""),
    }


def score_question(question: Question, hits: Sequence[Hit], answer: Answer) -> dict[str, Any]:
    """Everything measured on one question with one configuration (JSON-ready)."""
    found = [min(groups) if (groups := hit_groups(h, question)) else None for h in hits]
    evaluated = question.answerable and question.relevant > 0
    result: dict[str, Any] = {
        "retrieved": [_hit_row(h, question) for h in hits],
        "found": found,
        "first_relevant_rank": next((r for r, g in enumerate(found, 1) if g is not None), None),
        "unit_duplicates": unit_duplicates(hits),
        **retrieval_scores(found, question.relevant if evaluated else 0),
    }
    cited_texts = [c.hit.chunk.text for c in answer.citations]
    facts = [] if answer.abstained else facts_in(question.key_facts, [answer.text, *cited_texts])
    coverage = None
    if question.answerable and question.key_facts:
        coverage = len(facts) / len(question.key_facts)
    good = [bool(hit_gold(c.hit, question)) or bool(facts_in(question.key_facts, [c.hit.chunk.text]))
            for c in answer.citations]
    precision = sum(good) / len(good) if question.answerable and good and not answer.abstained else None
    # What the practitioner reads: the answer alone, its citation markers removed.
    said = [] if answer.abstained else facts_in(question.key_facts, [bare_text(answer.text)])
    answer_coverage = len(said) / len(question.key_facts) if question.answerable and question.key_facts else None
    found_defects = None if answer.abstained else defects(
        question.question, answer.text, [c.hit.chunk for c in answer.citations])
    supported = [s.supported for s in answer.sentences]
    timings = {k: float(v) for k, v in answer.timings.items()}
    timings["total_ms"] = round(timings.get("retrieve_ms", 0.0) + timings.get("answer_ms", 0.0), 1)
    result |= {
        "answer": answer.text,
        "abstained": answer.abstained,
        "evidence": round(answer.evidence, 3),
        "strength": round(answer.strength, 3),
        "raised": any(n.startswith("Cette question a été posée") for n in answer.notes),
        "citations": [{"n": c.n, "source": c.hit.chunk.source, "section": c.hit.chunk.section,
                       "record_id": c.hit.chunk.record_id, "relevant": ok} for c, ok in zip(answer.citations, good)],
        "key_facts_found": facts,
        "key_fact_coverage": coverage,
        "citation_precision": precision,
        "supported_share": None if answer.abstained or not supported else sum(supported) / len(supported),
        "answer_key_facts_found": said,
        "answer_key_fact_coverage": answer_coverage,
        "defects": found_defects,
        "partial": answer.partial,
        "missing": answer.missing,
        "unnamed": list(answer.unnamed),
        "timings": timings,
    }
    result["failures"] = failures(question, result) + defect_failures(result)
    return result


def failures(question: Question, r: Mapping[str, Any]) -> list[str]:
    """Why this answer falls short, in French; empty when it is fine."""
    out: list[str] = []
    if not question.answerable:
        if not r["abstained"]:
            out.append("a répondu au lieu de s'abstenir")
        return out
    rank = r["first_relevant_rank"]
    if question.relevant and rank is None:
        out.append(f"aucun passage de référence dans les {len(r['found'])} premiers")
    elif question.relevant and rank > 5:
        out.append(f"premier passage de référence au rang {rank}")
    if r["abstained"]:
        out.append("s'est abstenu à tort")
    elif r.get("answer_key_fact_coverage") is not None and r["answer_key_fact_coverage"] < 1:
        missing = [f for f in question.key_facts if f not in r["answer_key_facts_found"]]
        out.append("faits clés absents de la réponse : " + " ; ".join(missing))
    return out


DEFECT_LABELS = {
    "echo": "écho d'une question", "cut_list": "liste coupée", "orphan_start": "phrase sans antécédent",
    "duplicate": "phrase répétée", "bibliography": "bibliographie citée", "mixed_subject": "sujets mélangés",
}


def defect_failures(r: Mapping[str, Any]) -> list[str]:
    return [DEFECT_LABELS[k] for k, v in (r.get("defects") or {}).items() if v]


def _mean(values: Sequence[float | None]) -> float | None:
    kept = [float(v) for v in values if v is not None]
    return round(sum(kept) / len(kept), 4) if kept else None


def _percentile(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def aggregate(rows: Sequence[Mapping[str, Any]], config: str) -> dict[str, float | int | None]:
    """Means over the questions where each metric applies; None where it applies to none. `rows` are the
    per-question entries of results.json (`answerable`, `relevant` and `results`)."""
    rows = [q for q in rows if config in q["results"]]
    results = [q["results"][config] for q in rows]
    ranked = [q["results"][config] for q in rows if q["answerable"] and q["relevant"]]
    out: dict[str, float | int | None] = {key: _mean([r[key] for r in ranked]) for key in RANK_KEYS}
    out["key_fact_coverage"] = _mean([r["key_fact_coverage"] for r in results])
    out["answer_key_fact_coverage"] = _mean([r.get("answer_key_fact_coverage") for r in results])
    answered = [r for r in results if not r["abstained"] and r.get("defects") is not None]
    for key in DEFECTS:
        out[key] = _mean([float(r["defects"][key]) for r in answered])
    out["unit_duplicates"] = _mean([float(r.get("unit_duplicates", 0)) for r in results])
    out["partial_rate"] = _mean([float(bool(r.get("partial"))) for r in results if not r["abstained"]])
    out["citation_precision"] = _mean([r["citation_precision"] for r in results])
    out["supported_share"] = _mean([r["supported_share"] for r in results])
    out["abstention_accuracy"] = _mean([float(q["results"][config]["abstained"]) for q in rows if not q["answerable"]])
    out["false_refusal_rate"] = _mean([float(q["results"][config]["abstained"]) for q in rows if q["answerable"]])
    for stage, key in (("latency", "total_ms"), ("retrieve", "retrieve_ms"), ("answer", "answer_ms")):
        values = [r["timings"][key] for r in results if key in r["timings"]]
        out[f"{stage}_p50_ms"] = _percentile(values, 50)
        out[f"{stage}_p95_ms"] = _percentile(values, 95)
    out["questions"] = len(rows)
    answerable = sum(bool(q["answerable"]) for q in rows)
    out["answerable"] = answerable
    out["unanswerable"] = len(rows) - answerable
    return {key: out[key] for key in (*AGGREGATE_KEYS, *EXTRA_KEYS)}
