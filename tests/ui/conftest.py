"""A tiny ingested corpus (hash embedder, embedded Chroma) and, for the server tests, a running chat."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import Settings
from ingest.pipeline import Ingestor
from tests.conftest import free_port


def _load_anyio() -> None:
    """anyio imports its parts on first use (anyio/_lazyimport.py), here from the test server's threads at once;
    anyio being a pytest plugin, pytest rewrites each such import with `ast.parse`, which Python 3.11 does not do
    safely in two threads (« SystemError: AST constructor recursion depth mismatch », cpython gh-106905): the page
    then never loads. Loaded here, in one thread, before any server starts."""
    import anyio

    for name in dir(anyio):
        if not name.startswith("_"):
            getattr(anyio, name)


def _no_ipython_lookups() -> None:
    """Gradio tries `import IPython` each time it builds a page (utils.colab_check). Where IPython is absent,
    each try takes Python 3.11's import lock; the garbage collector can run in it the `__del__` of an event
    loop Gradio leaked (see GRADIO_LOOPS), which imports too, and the lock breaks (« KeyError » in
    importlib._bootstrap): 3 runs in 3 once the page had one more component. Marked absent once, here, the
    import fails at once without the lock, as the real one would."""
    import importlib.util
    import sys

    if importlib.util.find_spec("IPython") is None:
        for name in ("IPython", "IPython.core.getipython"):  # the lock is taken on the full name first
            sys.modules[name] = None  # type: ignore[assignment]


_load_anyio()
_no_ipython_lookups()
PASSWORD = "mot-de-passe-de-test"
# Gradio makes a new asyncio loop each time it builds a lock outside a running loop (gradio/utils.py
# safe_get_lock) and never closes them: the garbage collector then reports them.
GRADIO_LOOPS = "ignore:Exception ignored in. <function BaseEventLoop.__del__:pytest.PytestUnraisableExceptionWarning"
EXAMPLES = ("Qui compose le conseil citoyen ?", "Quelles compétences exerce la communauté de communes ?")
DOCS = {
    "fiches/conseils-citoyens.md": "---\ntitle: Les conseils citoyens\nkind: fiche\ndate: 2020-05-01\n---\n"
    "# Les conseils citoyens\n\n## Composition\n\nLe conseil citoyen est composé d'habitants tirés au sort et de "
    "représentants des associations et acteurs locaux du quartier. Il respecte la parité entre les femmes et les "
    "hommes.\n\n## Missions\n\nLe conseil citoyen participe à l'élaboration du contrat de ville.\n",
    "textes/cgct-l5214-16.md": "---\ntitle: Article L5214-16\nkind: texte officiel\ndate: 2015-05-01\n---\n"
    "# Article L5214-16\n\nLa communauté de communes exerce de plein droit au lieu et place des communes membres "
    "des compétences en matière d'aménagement de l'espace et de développement économique.\n",
    "notes/piege.md": "---\ntitle: Note <script>alert('titre')</script>\nkind: note\ndate: 2019\n---\n# Balises\n\n"
    "La balise piège <script>alert('x')</script> et l'image <img src=x onerror=alert(1)> restent du texte "
    "dans la note sur les balises.\n",
}


def write_corpus(root: Path) -> Path:
    for rel, text in DOCS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def ui_settings(tmp_path: Path) -> Settings:
    corpus = write_corpus(tmp_path / "corpus")
    return Settings(data_dir=tmp_path / "data", embedder="hash", corpus_dir=corpus, chunk_size=400,
                    chunk_overlap=60, admin_password=PASSWORD, max_upload_mb=1)


@pytest.fixture
def ui_assistant(ui_settings: Settings) -> Assistant:
    assistant = Assistant(ui_settings)
    report = Ingestor(ui_settings, assistant.embedder, assistant.store, quiet=True).run([ui_settings.corpus_dir])
    assert not report.failed
    return assistant



@pytest.fixture
def server(ui_assistant: Assistant, ui_settings: Settings) -> Iterator[str]:
    """The real chat on a free port, in this process: tests can look at its feedback store directly."""
    from ui.app import build_app, launch

    demo = build_app(ui_assistant, ui_settings, examples=EXAMPLES)
    port = free_port()
    launch(demo, ui_assistant, ui_settings, port=port, block=False, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
        gc.collect()  # report Gradio's leaked loops now, under this test's warning filter
