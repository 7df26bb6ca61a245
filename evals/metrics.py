"""Ranking metrics with binary relevance: nDCG, recall, MRR and hit rate at a cut-off k.

`ranked_ids` is best first; a repeated id (several chunks of one document) counts once, at its first rank.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence


def _top(ranked_ids: Iterable[str], k: int) -> list[str]:
    if k < 1:
        raise ValueError(f"k doit être au moins 1 (reçu {k})")
    seen: set[str] = set()
    top: list[str] = []
    for doc_id in ranked_ids:
        if doc_id not in seen:
            seen.add(doc_id)
            top.append(doc_id)
            if len(top) == k:
                break
    return top


def _relevant(relevant_ids: Collection[str]) -> set[str]:
    relevant = set(relevant_ids)
    if not relevant:
        raise ValueError("aucun identifiant pertinent : la métrique n'est pas définie")
    return relevant


def ndcg_at_k(ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int) -> float:
    """DCG of the top k (gain 1 / log2(rank + 1)) over the DCG of an ideal ranking."""
    relevant = _relevant(relevant_ids)
    dcg = sum(1.0 / math.log2(rank + 1) for rank, d in enumerate(_top(ranked_ids, k), 1) if d in relevant)
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


def recall_at_k(ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int) -> float:
    """Share of the relevant ids found in the top k."""
    relevant = _relevant(relevant_ids)
    return len(relevant.intersection(_top(ranked_ids, k))) / len(relevant)


def mrr_at_k(ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int) -> float:
    """1 / rank of the first relevant id within the top k, 0 if none."""
    relevant = _relevant(relevant_ids)
    for rank, doc_id in enumerate(_top(ranked_ids, k), 1):
        if doc_id in relevant:
            return 1.0 / rank
    return 0.0


def hit_at_k(ranked_ids: Sequence[str], relevant_ids: Collection[str], k: int) -> float:
    """1.0 if any relevant id is in the top k, else 0.0."""
    relevant = _relevant(relevant_ids)
    return 1.0 if relevant.intersection(_top(ranked_ids, k)) else 0.0
