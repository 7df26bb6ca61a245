"""Ranking metrics on hand-computed cases (binary relevance)."""

from __future__ import annotations

import math

import pytest

from evals.metrics import hit_at_k, mrr_at_k, ndcg_at_k, recall_at_k


def test_ndcg_single_relevant() -> None:
    assert ndcg_at_k(["a", "b", "c"], {"a"}, 10) == 1.0
    assert ndcg_at_k(["b", "a", "c"], {"a"}, 10) == pytest.approx(1 / math.log2(3))  # 0.6309
    assert ndcg_at_k(["b", "c", "a"], {"a"}, 10) == pytest.approx(0.5)  # 1 / log2(4)
    assert ndcg_at_k(["b", "c", "a"], {"a"}, 2) == 0.0


def test_ndcg_two_relevant() -> None:
    # relevant at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2(3)) = 1.5 / 1.6309 = 0.9197
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, 10) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, 10) == pytest.approx(0.9197, abs=1e-4)
    # k = 1: the ideal DCG counts only one relevant document
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, 1) == 1.0


def test_repeated_ids_count_once() -> None:
    # chunks of one document: "x" twice takes rank 2 only, so "a" is at rank 3
    assert ndcg_at_k(["x", "x", "a"], {"a"}, 10) == pytest.approx(1 / math.log2(3))
    assert recall_at_k(["x", "x", "a"], {"a"}, 2) == 1.0
    assert mrr_at_k(["x", "x", "a"], {"a"}, 10) == 0.5


def test_recall() -> None:
    assert recall_at_k(["a", "b", "c"], {"a", "c", "z"}, 5) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "b", "c"], {"a", "c", "z"}, 2) == pytest.approx(1 / 3)
    assert recall_at_k([], {"a"}, 5) == 0.0


def test_mrr() -> None:
    assert mrr_at_k(["x", "y", "a", "b"], {"a", "b"}, 10) == pytest.approx(1 / 3)
    assert mrr_at_k(["x", "y", "a"], {"a"}, 2) == 0.0


def test_hit() -> None:
    assert hit_at_k(["a", "b"], {"a"}, 1) == 1.0
    assert hit_at_k(["b", "a"], {"a"}, 1) == 0.0
    assert hit_at_k(["b", "a"], {"a"}, 2) == 1.0


def test_undefined_cases_raise() -> None:
    with pytest.raises(ValueError):
        ndcg_at_k(["a"], set(), 10)
    with pytest.raises(ValueError):
        recall_at_k(["a"], {"a"}, 0)
