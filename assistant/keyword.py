"""BM25 keyword search over the chunks (bm25s), with French analysis, glossary expansion and filters.

The index is rebuilt in full from the store after every ingestion that changed something: bm25s has no
incremental add or delete, and a rebuild is cheap: 12,000 passages of ~830 characters take 2-3.7 s to tokenize
and index (2 cores shared with other work), saving 0.05 s, loading 0.02 s, a search under 1 ms
(`python -m evals.bench_keyword_piaf --timing`). A saved index is one directory:

    <directory>/bm25/          bm25s's own files (sparse score matrix, vocabulary, parameters)
    <directory>/keyword.json   chunk ids in index order, their kind / year / folder for filters, the analysis

`save` writes a temporary sibling directory and renames it into place, so a crash leaves either the old
index or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import StoreError
from assistant.textfr import ANALYSIS_VERSION, DEFAULT_ANALYZER, Analyzer, expand_query
from assistant.types import Chunk, Filters, chunk_folder, chunk_speaker, chunk_year

FORMAT = 1
_META = "keyword.json"
_BM25 = "bm25"
_NO_YEAR = np.iinfo(np.int32).min


class KeywordIndex:
    """Immutable BM25 index over `chunk.indexed_text`; `search` returns (chunk id, score) best first."""

    def __init__(
        self,
        ids: Sequence[str],
        kinds: Sequence[str | None],
        years: Sequence[int | None],
        folders: Sequence[str],
        bm25: Any,  # bm25s.BM25, or None when there is no chunk
        analyzer: Analyzer = DEFAULT_ANALYZER,
        speakers: Sequence[str | None] = (),  # proceedings only; empty: no speaker anywhere
    ) -> None:
        self._ids = list(ids)
        self._kinds = np.array([k or "" for k in kinds], dtype=str)
        self._years = np.array([_NO_YEAR if y is None else y for y in years], dtype=np.int64)
        self._folders = np.array(list(folders), dtype=str)
        self._speakers = np.array([s or "" for s in speakers] if speakers else [""] * len(self._ids), dtype=str)
        self._bm25 = bm25
        self._analyzer = analyzer
        self._by_initial: dict[str, list[str]] | None = None  # vocabulary by first letter, for typos
        if not len(self._ids) == len(self._kinds) == len(self._years) == len(self._folders) == len(self._speakers):
            raise ValueError("ids et métadonnées de longueurs différentes")

    @classmethod
    def build(cls, chunks: Sequence[Chunk], analyzer: Analyzer = DEFAULT_ANALYZER) -> KeywordIndex:
        ids = [c.id for c in chunks]
        if len(set(ids)) != len(ids):
            raise ValueError("identifiants de passages en double : l'index de mots-clés exige des ids uniques")
        bm25 = None
        if chunks:
            import bm25s  # lazy: ~0.3 s of imports, only when an index is built or loaded

            bm25 = bm25s.BM25()
            bm25.index([analyzer.tokenize(c.indexed_text) for c in chunks], show_progress=False)
        return cls(
            ids,
            [c.kind for c in chunks],
            [chunk_year(c) for c in chunks],
            [chunk_folder(c) for c in chunks],
            bm25,
            analyzer,
            [chunk_speaker(c) for c in chunks],
        )

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> list[str]:
        return list(self._ids)

    def search(
        self, query: str, k: int = 10, filters: Filters | None = None, *, expand: bool = True
    ) -> list[tuple[str, float]]:
        """The k best chunks with a positive score that pass `filters`, best first (ties: index order)."""
        if self._bm25 is None or k < 1:
            return []
        return self.search_tokens(self.correct(self._analyzer.tokenize(expand_query(query) if expand else query)),
                                  k, filters)

    def search_tokens(self, tokens: Sequence[str], k: int = 10, filters: Filters | None = None) -> list[tuple[str, float]]:
        """`search` for tokens already analysed, corrected and expanded (`assistant.query.Query.keyword_tokens`)."""
        if self._bm25 is None or k < 1:
            return []
        vocab = self._bm25.vocab_dict
        token_ids = [vocab[t] for t in dict.fromkeys(tokens) if t in vocab]
        if not token_ids:
            return []
        scores = self._bm25.get_scores_from_ids(token_ids)
        if filters is not None and not filters.empty:
            scores = np.where(self._mask(filters), scores, 0.0)
        candidates = np.flatnonzero(scores > 0)
        # A full sort, not argpartition: ties at the cut-off then stay in index order (≈1 ms for 12k chunks).
        order = candidates[np.lexsort((candidates, -scores[candidates]))][:k]
        return [(self._ids[i], float(scores[i])) for i in order]

    def known(self, token: str) -> bool:
        return self._bm25 is not None and token in self._bm25.vocab_dict

    def doc_freq(self, token: str) -> int:
        """How many chunks contain `token` (0 when unknown)."""
        if not self.known(token):
            return 0
        indptr = self._bm25.scores["indptr"]
        i = self._bm25.vocab_dict[token]
        return int(indptr[i + 1] - indptr[i])

    def correct(self, tokens: Sequence[str]) -> list[str]:
        """Typos ("habitans", "metropolle"): an unknown word of 6 letters or more is replaced by the
        closest word of the index, when one is close enough; other unknown words stay as they are."""
        if self._bm25 is None:
            return list(tokens)
        return [t if self.known(t) or len(t) < 6 or not t.isalpha() else self._closest(t) or t for t in tokens]

    def _closest(self, token: str) -> str | None:
        import difflib

        if self._by_initial is None:
            self._by_initial = {}
            for word in self._bm25.vocab_dict:
                if word.isalpha():
                    self._by_initial.setdefault(word[0], []).append(word)
        found = difflib.get_close_matches(token, self._by_initial.get(token[0], []), n=5, cutoff=0.85)
        # the fewest edits wins, two swapped letters counting as one: "territori" is "territoir", not "territorial"
        return min(found, key=lambda word: edits(token, word)) if found else None

    def _mask(self, filters: Filters) -> np.ndarray:
        """`Filters.accepts` over the stored kind / year / folder of every chunk."""
        mask = np.ones(len(self._ids), dtype=bool)
        if filters.kind:
            mask &= self._kinds == filters.kind
        if filters.year_from is not None:
            mask &= (self._years != _NO_YEAR) & (self._years >= filters.year_from)
        if filters.year_to is not None:
            mask &= (self._years != _NO_YEAR) & (self._years <= filters.year_to)
        if filters.folder:
            mask &= self._folders == filters.folder
        if filters.speaker:
            mask &= self._speakers == filters.speaker
        return mask

    def save(self, directory: Path) -> None:
        """Write the index to `directory`, replacing any index there. One writer at a time (the ingestion
        holds its lock): leftovers of an interrupted save beside `directory` are removed on success."""
        directory = Path(directory)
        parent = directory.parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".tmp", dir=parent))
        old = None
        try:
            if self._bm25 is not None:
                self._bm25.save(tmp / _BM25, show_progress=False)
            meta = {
                "format": FORMAT,
                "analysis_version": ANALYSIS_VERSION,
                "analyzer": self._analyzer.config(),
                "ids": self._ids,
                "kinds": [k or None for k in self._kinds.tolist()],
                "years": [None if y == _NO_YEAR else y for y in self._years.tolist()],
                "folders": self._folders.tolist(),
                "speakers": [s or None for s in self._speakers.tolist()],
            }
            # Written last: a directory without it is never taken for an index.
            (tmp / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            _fsync_tree(tmp)
            if directory.exists():
                old = parent / f".{directory.name}.{uuid.uuid4().hex[:8]}.old"
                os.replace(directory, old)
            os.replace(tmp, directory)
        except BaseException:
            if old is not None and not directory.exists():
                os.replace(old, directory)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _fsync(parent)
        for stale in parent.glob(f".{directory.name}.*"):
            if stale.suffix in (".tmp", ".old"):
                shutil.rmtree(stale, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        directory = Path(directory)
        if not (directory / _META).is_file():
            # A crash between the two renames of `save` leaves the previous index under its .old name.
            backups = sorted(directory.parent.glob(f".{directory.name}.*.old"), key=lambda p: p.stat().st_mtime)
            backups = [b for b in backups if (b / _META).is_file()]
            if not backups:
                raise StoreError(
                    f"Index de mots-clés introuvable dans {directory} : relancez l'ingestion "
                    "(carrefour ingest) pour le construire."
                )
            directory = backups[-1]
        try:
            meta = json.loads((directory / _META).read_text(encoding="utf-8"))
            if meta.get("format") != FORMAT or meta.get("analysis_version") != ANALYSIS_VERSION:
                raise ValueError("index construit par une autre version de Carrefour")
            analyzer = Analyzer(**meta["analyzer"])
            bm25 = None
            if meta["ids"]:
                import bm25s

                bm25 = bm25s.BM25.load(directory / _BM25, show_progress=False)
                if bm25.scores["num_docs"] != len(meta["ids"]):
                    raise ValueError("nombre de documents différent entre bm25s et la liste des ids")
            # "speakers" is absent from indexes written before speaker turns: no speaker anywhere.
            return cls(meta["ids"], meta["kinds"], meta["years"], meta["folders"], bm25, analyzer,
                       meta.get("speakers") or ())
        except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"Index de mots-clés illisible dans {directory} ({exc}) : supprimez ce dossier et relancez "
                "l'ingestion (carrefour ingest) pour le reconstruire."
            ) from exc


def _fsync_tree(root: Path) -> None:
    """Flush the files to disk before the rename makes them the index: a power cut must not expose them empty."""
    for path in [*root.rglob("*"), root]:
        _fsync(path)


def _fsync(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # a directory on Windows cannot be opened; its entries are then flushed by the OS
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def edits(a: str, b: str) -> int:
    """Edit distance where swapping two neighbouring letters counts as one edit (Damerau, restricted)."""
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            cost = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, rows[-2][j - 2] + 1)
            row.append(cost)
        rows.append(row)
    return rows[-1][-1]
