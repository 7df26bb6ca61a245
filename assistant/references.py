"""Articles and texts a question names (« L. 5214-16 », « article 7 de la loi Lamy », « décret 2014-767 »), and
whether a passage is that article or belongs to that text (its title, record id, source path or collection)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.textfr import expand_query, fold
from assistant.types import Chunk

# A code article: « L5214-16 », « L. 5214-16 », « R.2122-1 », « LO 1112-7 », « l5214-16 »; a dashed number.
_CODE_ARTICLE = re.compile(r"\b(L\.?\s?O|[LRD]|lo|[lr])\.?\s?(\d{1,4}(?:-\d+)+)\b")
# Articles of a law or decree: « article 7 », « art. 9-1 », « article 1er », « articles 6 et 7 ».
_ARTICLE = re.compile(r"\b(?:articles?|art\.)\s+(\d+(?:-\d+)*(?:er)?(?:\s*(?:,|et|à)\s*\d+(?:-\d+)*\b)*)",
                      re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:-\d+)*")
# A text by its number: « loi n° 2014-173 », « décret 2014-767 », « ordonnance n°2015-1 ».
_TEXT_NUMBER = re.compile(r"\b(?:loi|décret|decret|arrêté|arrete|ordonnance|circulaire)s?\s+(?:n°|no|n\.)?\s*"
                          r"(\d{2,4}-\d+)\b", re.IGNORECASE)
# A law by its name: « loi Lamy », « loi NOTRe », « loi notre », « loi 3DS » (not « loi de finances »).
_LAW_NAME = re.compile(r"\bloi\s+([\w]+)", re.IGNORECASE)
_NOT_A_NAME = frozenset({"de", "du", "des", "d", "n", "no", "numero", "sur", "relative", "relatif", "la", "le",
                         "les", "en", "et", "ou", "qui", "que", "a", "dite", "dit", "pour", "ville"})


@dataclass(frozen=True)
class Reference:
    """An article (`article`: folded, « l5214-16 », « 7 ») and/or the texts it may belong to (`texts`: numbers
    « 2014-173 » or law names « lamy », any one of which)."""

    article: str | None = None
    texts: frozenset[str] = frozenset()

    @property
    def code(self) -> bool:
        """A code article (« L5214-16 »): its number alone names it, whatever the text."""
        return self.article is not None and not self.article[:1].isdigit()


def references(question: str) -> tuple[Reference, ...]:
    """The articles and texts `question` names. A law's glossary name gives its number too (« loi Lamy » →
    « 2014-173 »); a bare article number (« article 7 ») belongs to the texts the question names, if any."""
    texts = _texts(question) | _texts(expand_query(question))
    code = [fold(prefix).replace(".", "").replace(" ", "") + number
            for prefix, number in _CODE_ARTICLE.findall(question)]
    articles = [n for found in _ARTICLE.findall(question) for n in _NUMBER.findall(found)
                if not any(c.endswith(n) for c in code)]
    out = [Reference(article) for article in dict.fromkeys(code)]
    out += [Reference(article, texts) for article in dict.fromkeys(articles)]
    if texts and not articles:
        out.append(Reference(texts=texts))
    return tuple(out)


def _texts(text: str) -> frozenset[str]:
    names = {fold(m) for m in _LAW_NAME.findall(text)} - _NOT_A_NAME
    return frozenset({n for n in names if any(c.isalpha() for c in n)} | set(_TEXT_NUMBER.findall(text)))


def article_of(chunk: Chunk) -> str | None:
    """The article a passage is, folded (« Article L5214-16 » → « l5214-16 »), from its record id or title."""
    for label in (chunk.record_id.rsplit(":", 1)[-1] if chunk.record_id else None, chunk.title):
        m = re.fullmatch(r"article\s+(\S+)", fold(label or "").strip())
        if m:
            return m.group(1).replace(".", "")
    return None


def in_text(chunk: Chunk, text: str) -> bool:
    """Does the passage belong to the text named `text` (« 2014-173 », « lamy »)? Its source path
    (« loi-2014-173-lamy/… »), collection or title says so."""
    where = fold(" ".join(p for p in (chunk.source, chunk.collection or "", chunk.title) if p))
    if text[:1].isdigit():
        return re.search(rf"(?<!\d)(?<!\d-){re.escape(text)}(?!\d)", where) is not None
    return re.search(rf"\bloi\W+(?:[\d-]+\W+)?{re.escape(text)}\b", where) is not None


def is_article(chunk: Chunk, ref: Reference) -> bool:
    """The passage is the article `ref` names, in one of its texts when it names some."""
    article = article_of(chunk)
    if ref.article is None or article is None:
        return False
    # « article 5214-16 » without its L is L5214-16 when no text is named
    if article != ref.article and not (not ref.texts and article.lstrip("lord") == ref.article):
        return False
    return ref.code or not ref.texts or any(in_text(chunk, t) for t in ref.texts)
