"""Hybrid retrieval: dense (embedder + store) and French BM25, fused by a weighted sum of their normalised
scores, filtered on both sides, one result per citable unit, duplicates shown once with their other sources."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from assistant.embedders import Embedder
from assistant.keyword import KeywordIndex
from assistant.query import Query, analyse
from assistant.references import in_text, is_article
from assistant.stores import Store
from assistant.textfr import fold, tokenize
from assistant.types import Chunk, Filters, Hit
from assistant.units import unit_key

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class RetrievalConfig:
    mode: Mode = "hybrid"
    candidates: int = 40  # taken from each side before fusion
    rrf_k: int = 60  # the constant of Cormack et al. (2009), for the rankings of named articles and texts
    # The fusion: dense_weight / (dense_weight + keyword_weight) of the normalised cosine, the rest of the
    # normalised BM25. MRR@10 / hit@5 on the answerable questions of the default corpus (143), a LEGI subset
    # of ../shared/corpus (76) and PIAF (105), 2026-12-08 (README « Fusion »): rank fusion (RRF) 0.750 / 0.907;
    # dense share 0.3 → 0.768 / 0.923, 0.4 → 0.767 / 0.938, 0.5 → 0.765 / 0.929, 0.6 → 0.750 / 0.910,
    # 0.7 → 0.739 / 0.883. 5-fold cross-validation (`python -m evals.fusion`) picks 0.3 or 0.4 (held-out MRR
    # 0.765, 0.767); 0.4 keeps PIAF's nDCG@10 within 0.003 of RRF (0.929 / 0.932). RRF let a passage fair on both sides pass one that BM25
    # alone put far ahead (« PETR » : the five L5741 articles first in BM25, none in the hybrid top 8).
    dense_weight: float = 1.0
    keyword_weight: float = 1.5
    # A unit's score: its best passage's plus this share of its other matching passages'. Measured (MRR@10,
    # `carrefour eval` sets): 0 → default corpus 0.570, shared LEGI subset 0.761; 0.02 → 0.591, 0.694;
    # 0.1 → 0.593, 0.595 (long CGCT articles with many passages climb over the short article asked for).
    unit_bonus: float = 0.0
    # Passages that are an article the question names (« L. 5214-16 », « article 7 de la loi Lamy »), then
    # those of a text it names (« loi Lamy »), fused as two more rankings of these weights. 2.0 puts the named
    # article first: 14 such questions, MRR@10 0.65 → 1.00 (default corpus), 0.55 → 1.00 (shared LEGI subset).
    # Text weight 0.5: MRR@10 0.615 → 0.619 and 0.768 → 0.775, default hit@5 0.860 → 0.867 (0.25: hit@5
    # unchanged), once a quote of the loi n° 2014-173 counts as naming « Lamy » (its articles never say it).
    article_weight: float = 2.0
    text_weight: float = 0.5


SAME_TEXT = 0.8  # share of the shorter passage's 5-word runs found in the other: the same text


def dedupe_key(text: str) -> str:
    """Same words in the same order = same passage, whatever the markup (`>` quotes, spaces, case)."""
    return hashlib.sha1(re.sub(r"\W+", "", fold(text)).encode()).hexdigest()


def rrf(rankings: Sequence[tuple[float, Sequence[str]]], k: int) -> dict[str, float]:
    scores: dict[str, float] = {}
    for weight, ids in rankings:
        for rank, chunk_id in enumerate(ids, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + weight / (k + rank)
    return scores


def convex(dense: dict[str, float], keyword: dict[str, float], alpha: float) -> dict[str, float]:
    """alpha × dense + (1 − alpha) × BM25, each normalised over its own candidates: cosines min-max, BM25 from
    0 to its best (Bruch et al., 2023, « An analysis of fusion functions for hybrid retrieval »). A passage
    absent from one side's candidates counts 0 there."""
    out: dict[str, float] = {}
    if dense:
        low, high = min(dense.values()), max(dense.values())
        for i, v in dense.items():
            out[i] = alpha * ((v - low) / (high - low) if high > low else 1.0)
    if keyword:
        top = max(keyword.values()) or 1.0
        for i, v in keyword.items():
            out[i] = out.get(i, 0.0) + (1 - alpha) * v / top
    return out


def source_label(chunk: Chunk) -> str:
    return f"{chunk.source}#{chunk.record_id}" if chunk.record_id else chunk.source


class Retriever:
    def __init__(self, embedder: Embedder, store: Store, keyword: KeywordIndex | None,
                 config: RetrievalConfig = RetrievalConfig()) -> None:
        self.embedder = embedder
        self.store = store
        self.keyword = keyword
        self.config = config

    def search(self, query: str | Query, k: int = 10, filters: Filters | None = None,
               mode: Mode | None = None) -> list[Hit]:
        """`query` analysed once by `assistant.query.analyse`, or a plain string (analysed here)."""
        if isinstance(query, str):
            query = analyse(query, keyword=self.keyword)
        mode = mode or self.config.mode
        n = max(self.config.candidates, 3 * k)
        chunks: dict[str, Chunk] = {}
        dense_scores: dict[str, float] = {}
        if mode in ("hybrid", "dense"):
            hits = self.store.query(self.embedder.embed_query(query.standalone), n, filters)
            chunks.update((h.chunk.id, h.chunk) for h in hits)
            dense_scores = {h.chunk.id: h.score for h in hits}
        keyword_scores: dict[str, float] = {}
        if mode in ("hybrid", "bm25") and self.keyword is not None:
            found = self.keyword.search_tokens(query.keyword_tokens, n, filters)
            keyword_scores = dict(found)
        if mode == "hybrid":
            scores = self._fuse(dense_scores, keyword_scores)
            if query.references:
                scores = self._refer(query, scores, chunks, n, filters)
        else:
            scores = dense_scores if mode == "dense" else keyword_scores
        ranked = sorted(scores, key=lambda i: -scores[i])
        missing = [i for i in ranked if i not in chunks]
        chunks.update((c.id, c) for c in self.store.get(missing))
        hits = [Hit(chunk=chunks[i], score=scores[i], dense_score=dense_scores.get(i)) for i in ranked if i in chunks]
        return group(hits, k, self.config.unit_bonus)

    def _fuse(self, dense: dict[str, float], keyword: dict[str, float]) -> dict[str, float]:
        """The two sides' scores in one, on the scale of one RRF ranking (1 / (k + 1) at best), so that the
        rankings of named articles and texts added by `_refer` keep the weights they were measured with."""
        weights = self.config.dense_weight + self.config.keyword_weight
        alpha = self.config.dense_weight / weights if weights else 0.5
        return {i: v / (self.config.rrf_k + 1) for i, v in convex(dense, keyword, alpha).items()}

    def _refer(self, query: Query, scores: dict[str, float], chunks: dict[str, Chunk], n: int,
               filters: Filters | None) -> dict[str, float]:
        """`scores` with the passages of the articles and texts the question names ranked twice more: a code
        article is also looked up by its number, which the keyword index holds in every passage's heading."""
        looked_up = [i for ref in query.references if ref.code and ref.article and self.keyword is not None
                     for i, _ in self.keyword.search_tokens(tokenize(ref.article)[:1], n, filters)]
        order = sorted(dict.fromkeys([*scores, *looked_up]), key=lambda i: -scores.get(i, 0.0))
        chunks.update((c.id, c) for c in self.store.get([i for i in order if i not in chunks]))
        found = [i for i in order if i in chunks]
        articles = [i for i in found if any(is_article(chunks[i], ref) for ref in query.references)]
        named = set(articles)
        texts = [i for i in found if i not in named
                 and any(in_text(chunks[i], t) for ref in query.references for t in ref.texts)]
        boost = rrf([(self.config.article_weight, articles), (self.config.text_weight, texts)], self.config.rrf_k)
        return {i: scores.get(i, 0.0) + boost.get(i, 0.0) for i in dict.fromkeys([*scores, *boost])}


def shingles(text: str, size: int = 5) -> set[str]:
    """Runs of `size` words, accents and case folded: what two cuts of one text share."""
    words = re.sub(r"[^\w]+", " ", fold(text)).split()
    return {" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))} if words else set()


def same_text(a: set[str], b: set[str]) -> bool:
    """One passage mostly inside the other: the same article in two forms (a Markdown file and a JSONL record),
    whatever the places the splitter cut them."""
    return bool(a and b) and len(a & b) >= SAME_TEXT * min(len(a), len(b))


def group(hits: Sequence[Hit], k: int, bonus: float = 0.0) -> list[Hit]:
    """One hit per citable unit (`assistant.units.unit_key`): its best passage as `chunk`, its other matching
    passages in `passages`, its score the best one's plus `bonus` times the others'. The same text in another
    form (another file, other cuts) is the same result: its source goes to `also_in`."""
    units: list[Hit] = []
    prints: list[set[str]] = []
    where: dict[str, int] = {}
    for hit in hits:
        key = unit_key(hit.chunk)
        if key in where:
            i = where[key]
            first = units[i]
            if unit_key(first.chunk) == key:
                dense = max((d for d in (first.dense_score, hit.dense_score) if d is not None), default=None)
                units[i] = replace(first, passages=(*first.passages, hit.chunk), score=first.score + bonus * hit.score,
                                   dense_score=dense)
            continue
        text = shingles(hit.chunk.text)
        same = next((j for j, other in enumerate(prints) if same_text(text, other)), None)
        if same is not None:
            first = units[same]
            label = source_label(hit.chunk)
            if label != source_label(first.chunk) and label not in first.also_in:
                units[same] = replace(first, also_in=(*first.also_in, label), duplicates=(*first.duplicates, hit.chunk))
            where[key] = same
            continue
        where[key] = len(units)
        units.append(hit)
        prints.append(text)
    units.sort(key=lambda h: -h.score)  # stable: ties keep the fused order
    return [replace(h, rank=r) for r, h in enumerate(units[:k], start=1)]
