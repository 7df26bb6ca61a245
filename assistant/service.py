"""The assistant as one object: what the CLI, the chat and the evaluations call in-process."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from assistant import answer as answers
from assistant import generation
from assistant.answer import Answer
from assistant.checks import check
from assistant.compose import compose, elsewhere
from assistant.embedders import Embedder, make_embedder
from assistant.embedders.cache import CachedEmbedder
from assistant.errors import ConfigError
from assistant.evidence import evidence
from assistant.keyword import KeywordIndex
from assistant.query import Query, analyse
from assistant.retrieve import Mode, RetrievalConfig, Retriever
from assistant.settings import Settings
from assistant.stores import Store, make_store
from assistant.types import Filters, Hit
from assistant.units import is_bibliography

log = logging.getLogger("carrefour")
# A question the 2017 day raised, answered elsewhere: the best other block must cover this share of it. Of the
# two such questions of the project's sets, the answerable one (« la médiation … nouveaux métiers ? ») covers
# 0.68 and the other 0.27; the former floor (0.75, a block that answers alone) refused the first.
RAISED_FLOOR = 0.5
ANSWER_MODES = ("extractive", "llm")
MISSING_KEYWORD_INDEX = ("Index de mots-clés absent : la recherche par mots-clés ne trouve rien et la recherche "
                         "hybride n'utilise que les vecteurs ; relancez « carrefour ingest » pour le reconstruire.")
COUNT_EVERY = 5.0  # seconds; a count costs ≈1 ms on an embedded Chroma, one request on a server


class Assistant:
    """Cheap to build; the model, the store and the keyword index load on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, store: Store | None = None,
                 chat_model: object | None = None, clock: Callable[[], dt.date] = dt.date.today) -> None:
        self.settings = settings
        self.clock = clock  # "today", passed in: what counts as an old text must not change with the calendar
        self.chat_model = chat_model  # a LangChain chat model; default: the configured endpoint
        self.embedder = embedder or CachedEmbedder(make_embedder(settings), settings.cache_path)
        self.store = store or make_store(settings, self.embedder.id)
        self._retriever: Retriever | None = None
        self.warnings: tuple[str, ...] = ()  # what the last loaded index lacks, for `--json` and the logs
        self._generation: generation.Token | None = None  # the stamp the loaded index matches
        self._count: tuple[float, int] | None = None  # (when, chunks): the fallback check, see `_check_fresh`

    @property
    def keyword_dir(self) -> Path:
        return generation.keyword_dir(self.settings, self.embedder.id)

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            # Read before the index: an ingestion finishing meanwhile is then seen by the next question.
            self._generation = generation.token(generation.stamp_path(self.settings, self.embedder.id))
            keyword = KeywordIndex.load(self.keyword_dir) if self.keyword_dir.exists() else None
            # Without it, bm25 finds nothing and hybrid is quietly dense-only: say so.
            self.warnings = (MISSING_KEYWORD_INDEX,) if keyword is None and self.store.count() else ()
            if self.warnings:
                log.warning(MISSING_KEYWORD_INDEX)
            config = RetrievalConfig(
                dense_weight=self.settings.dense_weight, keyword_weight=self.settings.keyword_weight
            )
            self._retriever = Retriever(self.embedder, self.store, keyword, config)
        return self._retriever

    def reload(self) -> None:
        """After an ingestion, here or in another process: see the new chunks and the new keyword index."""
        self.store.refresh()
        self._retriever = None

    def _check_fresh(self) -> None:
        """One `stat` per question: has an ingestion finished since the index was loaded? As a fallback,
        when no stamp tells (an index written before stamps existed, or a Chroma server fed from another
        data dir), a changed number of chunks does, looked at every COUNT_EVERY seconds at most."""
        if self._retriever is None:
            return
        stamp = generation.token(generation.stamp_path(self.settings, self.embedder.id))
        if stamp != self._generation:
            self.reload()
            return
        if stamp is not None and not self.settings.chroma_url:
            return
        now = time.monotonic()
        if self._count is None or now - self._count[0] >= COUNT_EVERY:
            count = self.store.count()
            if self._count is not None and count != self._count[1]:
                self.reload()
            self._count = (now, count)

    def analyse(self, question: str, history: Sequence[str] = ()) -> Query:
        """The question analysed once (`assistant.query`), typos corrected from the index's vocabulary."""
        self._check_fresh()
        return analyse(question, history, self.retriever.keyword)

    def search(self, query: str | Query, k: int = 10, filters: Filters | None = None, mode: Mode | None = None,
               history: Sequence[str] = ()) -> list[Hit]:
        if isinstance(query, str):
            query = self.analyse(query, history)
        return self.retriever.search(query, k, filters, mode)

    def ask(self, question: str, mode: str = "extractive", filters: Filters | None = None,
            history: Sequence[str] = (), retrieval: Mode | None = None) -> Answer:
        answer: Answer | None = None
        for item in self.ask_stream(question, mode, filters, history, retrieval):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(self, question: str, mode: str = "extractive", filters: Filters | None = None,
                   history: Sequence[str] = (), retrieval: Mode | None = None) -> Iterator[str | Answer]:
        """Yields pieces of answer text as they come, then the checked `Answer`: query → passages → units →
        evidence → composer (or the language model) → checks."""
        if mode not in ANSWER_MODES:
            raise ConfigError(f"Mode de réponse inconnu « {mode} » : choisissez parmi {', '.join(ANSWER_MODES)}.")
        started = time.perf_counter()
        query = self.analyse(question, history)
        hits = self.search(query, self.settings.answer_passages, filters, retrieval)
        retrieved = time.perf_counter()
        keyword = self.retriever.keyword
        today = self.clock()
        composition = compose(query, hits, keyword, self.store.unit_chunks)
        units = [(f"{q.context}\n{q.unit}", q.hits[0].chunk.date) for q in composition.quotes]
        score = evidence(query, hits, keyword, self.embedder.similarity_range, self.settings.abstain_dense_weight,
                         today=today, units=units)
        # Beside a document that only asks the question, another one must answer at least half of it.
        floor = RAISED_FLOOR if composition.raised_in else self.settings.abstain_block_coverage
        weak = not composition.quotes or composition.strength < floor
        # An amount asked for that no quote gives: the heart of the question is missing (a salary, a rate).
        weak = weak or composition.missing == "amount"
        # A place, a person or a text asked about that nothing quoted mentions: the quotes may speak of something
        # else (« les QPV de Seine-Saint-Denis », « le délégué du préfet des Minguettes »).
        far = elsewhere(query, composition, keyword)
        weak = weak or far
        if not hits or score < self.settings.abstain_threshold or weak:
            unnamed = composition.unnamed if far else ()
            text, citations, notes = answers.leads(hits, composition.raised_in, unnamed)
            yield text
            yield Answer(question, text, True, mode, tuple(citations), (), self._timings(started, retrieved),
                         evidence=score, notes=notes, strength=composition.strength, missing=composition.missing,
                         unnamed=unnamed)
            return
        if mode == "extractive":
            text, citations, sentences, notes = answers.extractive(question, composition, today)
            yield text
            removed: list[int] = []
        else:
            from assistant.generate import stream_answer

            given_hits = [h for h in hits if not is_bibliography(h.chunk)] or list(hits)
            pieces: list[str] = []
            for piece in stream_answer(self.settings, question, given_hits, self.chat_model):
                pieces.append(piece)
                yield piece
            given = [answers.Citation(i, h) for i, h in enumerate(given_hits, start=1)]
            text, sentences, removed = check("".join(pieces), given)
            notes = ()
            used = {n for s in sentences for n in s.citations}
            citations = [c for c in given if c.n in used]
        yield Answer(question, text, False, mode, tuple(citations), tuple(sentences),
                     self._timings(started, retrieved), tuple(removed), evidence=score,
                     partial=composition.partial if mode == "extractive" else False,
                     quotes=composition.quotes if mode == "extractive" else (), notes=notes,
                     strength=composition.strength, missing=composition.missing if mode == "extractive" else None,
                     unnamed=composition.unnamed)

    @staticmethod
    def _timings(started: float, retrieved: float) -> dict[str, float]:
        done = time.perf_counter()
        return {"retrieve_ms": round((retrieved - started) * 1000, 1), "answer_ms": round((done - retrieved) * 1000, 1)}


def hit_json(hit: Hit) -> dict[str, object]:
    c = hit.chunk
    return {
        "rank": hit.rank, "score": round(float(hit.score), 6), "chunk_id": c.id, "source": c.source,
        "title": c.title, "section": c.section, "page": c.page, "record_id": c.record_id, "date": c.date,
        "kind": c.kind, "text": c.text, "also_in": list(hit.also_in),
        # extensions (the contract is kept, only extended)
        "page_end": c.page_end, "root": c.root, "collection": c.collection,
        "passages": [{"chunk_id": p.id, "text": p.text, "page": p.page} for p in hit.passages],
        "valid_as_of": c.valid_as_of,  # « état du droit au » : the date at which the passage is true
        "speaker": c.metadata.get("speaker"),  # proceedings: who said the passage (ingest/turns.py)
    }


def answer_json(a: Answer) -> dict[str, object]:
    return {
        "question": a.question,
        "answer": a.text,
        "abstained": a.abstained,
        "mode": a.mode,
        "citations": [{"n": c.n, **hit_json(c.hit)} for c in a.citations],
        "sentences": [{"text": s.text, "citations": list(s.citations), "supported": s.supported,
                       "support": s.support} for s in a.sentences],
        "timings": a.timings,
        "removed_citations": list(a.removed_markers),
        "evidence": round(a.evidence, 3),
        "partial": a.partial,
        "quotes": [{"label": q.label, "kind": q.block.kind, "text": q.block.text, "items": list(q.block.items),
                    "citations": [c.n for c in a.citations if any(c.hit.chunk.id == h.chunk.id for h in q.hits)],
                    "summarised": q.summarised} for q in a.quotes],
        "notes": list(a.notes),
    }
