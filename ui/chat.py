"""What the chat does, without Gradio: answer with the conversation, describe the corpus, record feedback, export."""

from __future__ import annotations

import hashlib
import logging
import platform
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from assistant.answer import Answer
from assistant.errors import EMPTY_INDEX, CarrefourError
from assistant.service import Assistant, answer_json
from assistant.settings import Settings
from assistant.types import Chunk, Filters, chunk_folder, chunk_speaker, chunk_year
from ui import render
from ui.feedback import RATINGS, FeedbackStore
from ui.files import DocumentFiles

log = logging.getLogger("carrefour.ui")
MAX_QUESTION = 1000
UNEXPECTED = "Une erreur inattendue est survenue : réessayez, et si elle persiste, prévenez l'équipe du Carrefour."
KIND_LABELS = {
    "fiche": "fiches de synthèse",
    "actes": "actes de journées du Carrefour",
    "texte officiel": "textes officiels (lois, décrets, articles de codes)",
}
# Said beside a kind whatever its dates: a consolidated text is the law of its date, not of today.
KIND_HINTS = {"texte officiel": "vérifiez la version en vigueur sur Légifrance"}


@dataclass(frozen=True)
class Turn:
    question: str
    answer: Answer | None
    error: str | None = None
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class Facets:
    documents: int
    chunks: int
    kinds: tuple[tuple[str, int], ...]
    folders: tuple[tuple[str, int], ...]
    years: tuple[int, int] | None
    # per kind: documents, oldest and newest « état du droit » (valid_as_of) of its passages, when they have one
    validity: tuple[tuple[str, int, str | None, str | None], ...] = ()
    speakers: tuple[tuple[str, int], ...] = ()  # who speaks in the proceedings, and in how many passages


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+!|~:/])")  # ":" and "/" too: no bare URL is linked
_CREDENTIALS = re.compile(r"(\w+://)[^/\s@]+@")  # user:password@ of a URL
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s/«»:;,()]+)+/?|\b[A-Za-z]:\\[^\s«»:;,()]+")


def markdown_text(text: str) -> str:
    """Text from a document shown inside Markdown: HTML escaped and Markdown syntax neutralised, so a `kind`
    like `[cliquez](https://…)` stays words, never a live link."""
    return _MARKDOWN.sub(r"\\\1", escape(text, quote=False))


def public(message: str) -> str:
    """An error message for anyone on the web: the server's folders left out (only the last name stays)."""
    message = _CREDENTIALS.sub(r"\1", message)
    return _ABSOLUTE_PATH.sub(lambda m: "…/" + re.split(r"[\\/]", m.group(0).rstrip("/\\"))[-1], message)


def _month(date: str) -> str:
    """`2015-05` → `05/2015`, `2017-12-11` → `11/12/2017`."""
    parts = date[:10].split("-")
    return "/".join(reversed(parts)) if all(p.isdigit() for p in parts) else date


def kind_line(kind: str, passages: int, validity: Sequence[tuple[str, int, str | None, str | None]]) -> str:
    """One Markdown list line of the intro, from the index only: the kind, how many documents and passages, the
    range of « état du droit » of its passages."""
    name = KIND_LABELS.get(kind, f"documents de type « {markdown_text(kind)} »")  # kinds come from the documents
    documents, oldest, newest = next(((n, a, b) for k, n, a, b in validity if k == kind), (None, None, None))
    count = f"{documents} document{'s' if documents != 1 else ''}, " if documents is not None else ""
    if oldest and newest and oldest != newest:
        state = f", état du droit du {_month(oldest)} au {_month(newest)}"
    elif oldest:
        state = f", état du droit au {_month(oldest)}"
    else:
        state = ", sans date d'état du droit"
    hint = f" ({KIND_HINTS[kind]})" if kind in KIND_HINTS else ""
    return f"- {name} : {count}{passages} passage{'s' if passages != 1 else ''}{state}{hint} ;"


def filters_from(kind: str | None, year_from: float | None, year_to: float | None, folder: str | None,
                 speaker: str | None = None) -> Filters:
    # Gradio's empty number boxes send 0 once the filters are opened: no year is 0, so 0 is no bound
    # (it filtered every passage out, « le corpus ne contient aucun passage proche »).
    low = int(year_from) if year_from not in (None, "", 0) else None  # type: ignore[arg-type]
    high = int(year_to) if year_to not in (None, "", 0) else None  # type: ignore[arg-type]
    if low is not None and high is not None and low > high:
        low, high = high, low
    return Filters(kind=kind or None, year_from=low, year_to=high, folder=folder or None, speaker=speaker or None)


def versions(assistant: Assistant) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from ingest.pipeline import PIPELINE_VERSION

    out = {"python": platform.python_version(), "pipeline": PIPELINE_VERSION, "embedder": assistant.embedder.id}
    for package in ("carrefour", "gradio"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "inconnue"
    return out


class Chat:
    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        self.files = DocumentFiles(settings, self.chunk)
        self.feedback = FeedbackStore(settings.feedback_path)
        self._facets: Facets | None = None
        self._exports: Path | None = None
        self._lock = threading.Lock()

    def chunk(self, chunk_id: str) -> Chunk | None:
        found = self.assistant.store.get([chunk_id])
        return found[0] if found else None

    def facets(self) -> Facets:
        """Kinds, folders and years present, for the intro and the filters; recomputed when the index changes."""
        count = self.assistant.store.count()
        with self._lock:
            if self._facets is not None and self._facets.chunks == count:
                return self._facets
        kinds: Counter[str] = Counter()
        folders: Counter[str] = Counter()
        speakers: Counter[str] = Counter()
        years: set[int] = set()
        documents: dict[str, set[tuple[str, str, str | None]]] = {}
        valid: dict[str, list[str]] = {}
        for c in self.assistant.store.chunks():
            if c.kind:
                kinds[c.kind] += 1
                documents.setdefault(c.kind, set()).add((c.root, c.source, c.record_id))
                if c.valid_as_of:
                    valid.setdefault(c.kind, []).append(c.valid_as_of)
            folders[chunk_folder(c)] += 1
            if speaker := chunk_speaker(c):
                speakers[speaker] += 1
            if (year := chunk_year(c)) is not None:
                years.add(year)
        from ui.admin import corpus_status

        validity = tuple((k, len(documents[k]), min(valid[k]) if k in valid else None,
                          max(valid[k]) if k in valid else None) for k in sorted(documents))
        facets = Facets(corpus_status(self.assistant)["documents"], count, tuple(sorted(kinds.items())),
                        tuple(sorted(folders.items())), (min(years), max(years)) if years else None, validity,
                        tuple(sorted(speakers.items())))
        with self._lock:
            self._facets = facets
        return facets

    def intro(self) -> str:
        f = self.facets()
        if not f.chunks:
            return (f"**{EMPTY_INDEX}** (ou l'onglet Administration) : aucun document n'est encore consultable.")
        lines = [kind_line(k, n, f.validity) for k, n in sorted(f.kinds, key=lambda kv: -kv[1])]
        if lines:
            lines[-1] = lines[-1].removesuffix(" ;") + "."
        holds = " :\n\n" + "\n".join(lines) + "\n\n" if lines else ". "
        return (f"Carrefour répond à vos questions sur la politique de la ville, les intercommunalités et le "
                f"développement territorial à partir de **{f.documents} documents** ({f.chunks} passages){holds}"
                "Chaque réponse cite ses sources : cliquez sur un numéro [1] pour lire le passage, "
                "puis ouvrez le document original pour vérifier.")

    def respond(self, question: str, turns: Sequence[Turn], filters: Filters) -> Iterator[tuple[str, str, list[Turn]]]:
        """Yields (conversation HTML, sources HTML, turns): first the question with a waiting answer, then the
        text as it arrives, last the checked answer with its sources. Errors end as a short French message."""
        turns = list(turns)
        question = " ".join((question or "").split())[:MAX_QUESTION]
        if not question:
            yield *self.render(turns), turns
            return
        if self.assistant.store.count() == 0:  # said plainly, instead of a « Pas trouvé » over nothing
            turns = [*turns, Turn(question, None, EMPTY_INDEX, filters)]
            yield *self.render(turns), turns
            return
        history = [t.question for t in turns]
        pieces: list[str] = []
        yield *self.render(turns, (question, "")), turns
        try:
            answer = None
            for item in self.assistant.ask_stream(question, self.settings.chat_mode, filters, history):
                if isinstance(item, Answer):
                    answer = item
                else:
                    pieces.append(item)
                    yield *self.render(turns, (question, "".join(pieces))), turns
            turn = Turn(question, answer, None, filters)
        except CarrefourError as exc:
            turn = Turn(question, None, public(str(exc)), filters)
        except Exception:
            log.exception("question en échec : %r", question)
            turn = Turn(question, None, UNEXPECTED, filters)
        turns = [*turns, turn]  # a new list: the ones already yielded stay as they were
        yield *self.render(turns), turns

    def render(self, turns: Sequence[Turn], pending: tuple[str, str] | None = None) -> tuple[str, str]:
        items = [(t.question, self._answer_html(t, i) if t.answer else render.error_html(t.error or ""))
                 for i, t in enumerate(turns, start=1)]
        if pending:
            items.append((pending[0], render.partial_html(pending[1], len(turns) + 1)))
        answered = [(i, t.answer) for i, t in enumerate(turns, start=1) if t.answer]
        return render.conversation_html(items), render.sources_html(answered, self.files.url)

    def _answer_html(self, turn: Turn, n: int) -> str:
        """The answer, and its sources under it for a narrow screen (the CSS shows them there only)."""
        assert turn.answer is not None
        return (render.answer_html(turn.answer, n, filtered=not turn.filters.empty)
                + render.inline_sources_html(n, turn.answer, self.files.url))

    def settings_snapshot(self) -> dict[str, Any]:
        keys = {"embedder", "embedder_model", "chat_mode", "dense_weight", "keyword_weight", "answer_passages",
                "abstain_threshold", "chunk_size", "chunk_overlap", "llm_model"}
        return self.settings.model_dump(mode="json", include=keys)

    def record_feedback(self, question: str, answer: dict[str, Any], rating: str, comment: str = "",
                        wrong_source: bool = False, history: Sequence[str] = (),
                        filters: Filters | None = None) -> str:
        filters_json = {k: v for k, v in vars(filters).items() if v is not None} if filters else {}
        n = self.feedback.add(question, answer, rating, comment, wrong_source, history, filters_json,
                              self.settings_snapshot(), versions(self.assistant))
        flag = " (source erronée signalée)" if wrong_source else ""
        return f"Merci ! Votre avis {RATINGS[rating]}{flag} est enregistré (n° {n}) : il aidera à améliorer Carrefour."

    def feedback_on(self, turns: Sequence[Turn], index: int | None, rating: str, comment: str,
                    wrong_source: bool) -> str:
        if not turns or index is None or not 1 <= int(index) <= len(turns) or turns[int(index) - 1].answer is None:
            return "Posez d'abord une question : l'avis porte sur une réponse."
        turn = turns[int(index) - 1]
        assert turn.answer is not None
        history = [t.question for t in turns[: int(index) - 1]]
        return self.record_feedback(turn.question, answer_json(turn.answer), rating, comment, wrong_source, history,
                                    turn.filters)

    def export(self, turns: Sequence[Turn], index: int | None) -> tuple[str, str | None]:
        """(Markdown with footnotes, a file holding it for the download button), one file per distinct answer
        in one temporary folder of this server."""
        if not turns or index is None or not 1 <= int(index) <= len(turns) or turns[int(index) - 1].answer is None:
            return "", None
        text = render.answer_markdown(turns[int(index) - 1].answer)  # type: ignore[arg-type]
        if self._exports is None:
            self._exports = Path(tempfile.mkdtemp(prefix="carrefour-export-"))
        path = self._exports / f"carrefour-reponse-{hashlib.sha256(text.encode()).hexdigest()[:12]}.md"
        path.write_text(text, encoding="utf-8")
        return text, str(path)

    def export_rich(self, turns: Sequence[Turn], index: int | None) -> tuple[str, str | None]:
        """(The answer as rich text to look at and copy, a `.html` file for Word or an e-mail)."""
        if not turns or index is None or not 1 <= int(index) <= len(turns) or turns[int(index) - 1].answer is None:
            return "", None
        html = render.answer_rich_html(turns[int(index) - 1].answer)  # type: ignore[arg-type]
        if self._exports is None:
            self._exports = Path(tempfile.mkdtemp(prefix="carrefour-export-"))
        path = self._exports / f"carrefour-reponse-{hashlib.sha256(html.encode()).hexdigest()[:12]}.html"
        path.write_text(html, encoding="utf-8")
        body = html.split("<body>", 1)[-1].rsplit("</body>", 1)[0]
        return f'<div class="cf-rich">{body}</div>', str(path)

    def api_ask(self, question: str, kind: str = "", year_from: float | None = None, year_to: float | None = None,
                folder: str = "", history: list[str] | None = None, speaker: str = "") -> dict[str, Any]:
        """The `ask` API: one question (with optional filters and previous questions) → the answer as JSON
        (`assistant.service.answer_json`) plus its Markdown export."""
        question = " ".join((question or "").split())[:MAX_QUESTION]
        if not question:
            raise CarrefourError("Question vide : écrivez une question.")
        filters = filters_from(kind, year_from, year_to, folder, speaker)
        answer = self.assistant.ask(question, self.settings.chat_mode, filters,
                                    [h for h in (history or []) if isinstance(h, str)])
        return {**answer_json(answer), "markdown": render.answer_markdown(answer)}

    def api_feedback(self, question: str, answer: dict[str, Any], rating: str, comment: str = "",
                     wrong_source: bool = False, history: list[str] | None = None) -> str:
        """The `feedback` API: an answer as returned by `ask`, rated "up" (👍) or "down" (👎)."""
        from ui.feedback import normalise_rating

        return self.record_feedback(question, answer, normalise_rating(rating), comment, wrong_source,
                                    [h for h in (history or []) if isinstance(h, str)])
