"""The Gradio page: chat with sources, filters, feedback and export, an admin tab for staff; and its launch."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import Any

import gradio as gr

from assistant.errors import CarrefourError
from assistant.service import Assistant
from assistant.settings import Settings
from ui import admin, render
from ui.chat import Chat, Turn, filters_from, public
from ui.files import ROUTE, DocumentFiles
from ui.protect import Protect, RateLimit, client_of
from ui.style import CSS, HEAD, HELP, THEME

EXAMPLES = (  # each answered from the project's corpus/ alone
    "Qu'est-ce qu'un quartier prioritaire de la politique de la ville ?",
    "Quelles sont les compétences d'une communauté de communes ?",
    "Quelles compétences la loi NOTRe a-t-elle transférées aux intercommunalités ?",
    "Quel est le rôle de l'ANRU dans le NPNRU ?",
)
ALL = ""  # the "no filter" choice of the dropdowns


def _choices(counts: Sequence[tuple[str, int]], everything: str) -> list[tuple[str, str]]:
    return [(everything, ALL)] + [(f"{name} ({n} passages)", name) for name, n in counts]


def _answered(turns: Sequence[Turn]) -> list[tuple[str, int]]:
    return [(f"{i}. {t.question[:70]}", i) for i, t in enumerate(turns, start=1) if t.answer]


def build_app(assistant: Assistant, settings: Settings, examples: Sequence[str] = EXAMPLES) -> gr.Blocks:
    chat = Chat(assistant, settings)
    guard = admin.Guard()  # every event that checks the password goes through it
    refusals: OrderedDict[str, str] = OrderedDict()  # session → why `admit` refused it, until shown
    feedbacks = RateLimit(20)  # per client and minute: a person gives a few, a script thousands

    def respond(question: str, turns: list[Turn], kind: str, year_from: float | None, year_to: float | None,
                folder: str, speaker: str) -> Iterator[tuple[Any, ...]]:
        filters = filters_from(kind, year_from, year_to, folder, speaker)
        final: list[Turn] = turns
        for conversation, sources, final in chat.respond(question, turns, filters):
            yield conversation, sources, gr.skip(), "", gr.skip(), gr.skip(), gr.skip(), *(gr.skip(),) * 3
        choices = _answered(final)
        latest = choices[-1][1] if choices else None
        text, path = chat.export(final, latest)
        rich, rich_path = chat.export_rich(final, latest)
        # the feedback block opens once there is an answer to rate
        yield (gr.skip(), gr.skip(), final, "", gr.update(choices=choices, value=latest), text, path, rich, rich_path,
               gr.update(open=True) if choices else gr.skip())

    def new_conversation() -> tuple[Any, ...]:
        conversation, sources = chat.render([])
        return conversation, sources, [], "", gr.update(choices=[], value=None), "", None, "", "", None, \
            gr.update(open=False)

    def give(rating: str):  # type: ignore[no-untyped-def]
        def handler(turns: list[Turn], index: int | None, comment: str, wrong: bool) -> tuple[str, str, bool]:
            try:
                return chat.feedback_on(turns, index, rating, comment, wrong), "", False
            except CarrefourError as exc:
                return f"Avis non enregistré : {exc}", comment, wrong
        return handler

    def refresh() -> tuple[Any, ...]:
        facets = chat.facets()
        return (chat.intro(), gr.update(choices=_choices(facets.kinds, "Tous les types")),
                gr.update(choices=_choices(facets.folders, "Tous les dossiers")),
                gr.update(choices=_choices(facets.speakers, "Tous les intervenants"),
                          visible=bool(facets.speakers)))

    def unlock(password: str, request: gr.Request) -> tuple[Any, ...]:
        refused = guard.check(settings, password, client_of(request))
        if refused:
            return gr.update(visible=False), refused, "", gr.update()
        return (gr.update(visible=True), "Administration déverrouillée.",
                admin.status_html(admin.corpus_status(assistant)), _uploaded(settings))

    def admit(password: str, request: gr.Request) -> None:
        """The password, checked outside the queue before an upload or a removal is queued; the error stops
        the chain. Gradio 6.31's page shows no error raised outside the queue (its client drops `visible`), so
        the refusal is kept for `refusal`, chained on failure, to show in the tab."""
        refused = guard.check(settings, password, client_of(request))
        if refused:
            refusals[request.session_hash or "?"] = refused
            while len(refusals) > admin.Guard.MAX_CLIENTS:
                refusals.popitem(last=False)
            raise gr.Error(refused, title="Administration", print_exception=False)

    def refusal(request: gr.Request) -> str:
        refused = refusals.pop(request.session_hash or "?", None)
        return f'<p class="cf-error">{render._e(refused)} Déverrouillez d\'abord l\'administration.</p>' if refused else ""

    def upload(password: str, files: list[str] | None, request: gr.Request) -> Iterator[str]:
        try:
            yield from admin.upload_and_ingest(assistant, settings, password, files, guard, client_of(request))
        except Exception as exc:  # noqa: BLE001 — the tab reports it, the server keeps serving
            yield f'<p class="cf-error">Dépôt impossible : {render._e(exc)}</p>'

    def status(password: str, request: gr.Request) -> tuple[str, Any]:
        if guard.check(settings, password, client_of(request)):
            return "", gr.update()
        return admin.status_html(admin.corpus_status(assistant)), _uploaded(settings)

    def remove(password: str, name: str | None, request: gr.Request) -> str:
        refused = guard.check(settings, password, client_of(request))
        if refused:
            return f'<p class="cf-error">{render._e(refused)}</p>'
        try:
            return admin.remove_upload(assistant, settings, name)
        except Exception as exc:  # noqa: BLE001 — the tab reports it, the server keeps serving
            return f'<p class="cf-error">Retrait impossible : {render._e(exc)}</p>'

    def feedback_api(question: str, answer: dict[str, Any], rating: str, comment: str = "",
                     wrong_source: bool = False, history: list[str] | None = None,
                     request: gr.Request = None) -> str:  # type: ignore[assignment]
        """The `feedback` API: an answer as returned by `ask`, rated "up" (👍) or "down" (👎)."""
        feedbacks.take(client_of(request), "d'avis")
        return chat.api_feedback(question, answer, rating, comment, wrong_source, history)

    facets = chat.facets()
    with gr.Blocks(title="Carrefour — assistant documentaire", analytics_enabled=False) as demo:
        turns = gr.State([])
        gr.HTML('<header class="cf-header"><h1>Carrefour</h1><p>L\'assistant documentaire du Carrefour des '
                "métiers du développement territorial</p></header>", padding=False)
        intro = gr.Markdown(chat.intro(), elem_id="cf-intro", elem_classes="cf-intro")
        with gr.Tabs():
            with gr.Tab("Questions", id="questions"), gr.Row(equal_height=False):
                with gr.Column(scale=3, min_width=360):
                    conversation = gr.HTML(render.conversation_html([]), elem_id="cf-conversation")
                    question = gr.Textbox(label="Votre question", placeholder="Posez votre question en français…",
                                          max_length=1000, elem_id="cf-question", autofocus=True)
                    with gr.Row():
                        send = gr.Button("Envoyer", variant="primary", elem_id="cf-send", scale=2)
                        new = gr.Button("Nouvelle conversation", elem_id="cf-new", scale=1)
                    gr.Markdown("**Exemples** — cliquez pour poser la question :", elem_classes="cf-label")
                    with gr.Row(elem_classes="cf-examples"):
                        buttons = [gr.Button(q, size="sm", elem_classes="cf-example") for q in examples]
                    with gr.Accordion("Filtrer les documents (type, années, dossier, intervenant)", open=False):
                        with gr.Row():
                            kind = gr.Dropdown(_choices(facets.kinds, "Tous les types"), value=ALL,
                                               label="Type de document", elem_id="cf-kind")
                            folder = gr.Dropdown(_choices(facets.folders, "Tous les dossiers"), value=ALL,
                                                 label="Dossier", elem_id="cf-folder")
                            # proceedings: what one speaker said (« ce que le CGET disait des conseils citoyens »)
                            speaker = gr.Dropdown(_choices(facets.speakers, "Tous les intervenants"), value=ALL,
                                                  label="Intervenant (actes)", elem_id="cf-speaker",
                                                  visible=bool(facets.speakers))
                        with gr.Row():
                            year_from = gr.Number(None, label="Depuis l'année", precision=0, elem_id="cf-from")
                            year_to = gr.Number(None, label="Jusqu'à l'année", precision=0, elem_id="cf-to")
                    with gr.Accordion("Votre avis sur une réponse", open=False, elem_id="cf-feedback") as feedback_box:
                        selector = gr.Dropdown([], label="Réponse concernée", elem_id="cf-selector")
                        comment = gr.Textbox(label="Commentaire (facultatif)", lines=2, max_length=2000,
                                             placeholder="Ce qui manque, ce qui est faux…", elem_id="cf-comment")
                        wrong = gr.Checkbox(label="Source erronée : un passage cité ne dit pas cela",
                                            elem_id="cf-wrong")
                        with gr.Row():
                            up = gr.Button("👍 Réponse utile", elem_id="cf-up")
                            down = gr.Button("👎 Réponse insatisfaisante", elem_id="cf-down")
                        thanks = gr.Markdown(elem_id="cf-thanks")
                    with gr.Accordion("Exporter la réponse (Markdown, ou mise en forme pour Word et les courriels)",
                                      open=False):
                        markdown = gr.Textbox(label="Réponse en Markdown", lines=8, buttons=["copy"],
                                              interactive=False, elem_id="cf-markdown")
                        download = gr.DownloadButton("Télécharger (.md)", size="sm", elem_id="cf-download")
                        gr.Markdown("**Réponse mise en forme** : sélectionnez-la et copiez-la dans un courriel, ou "
                                    "téléchargez-la pour l'ouvrir dans Word.", elem_classes="cf-label")
                        rich = gr.HTML(elem_id="cf-rich")
                        rich_download = gr.DownloadButton("Télécharger pour Word (.html)", size="sm",
                                                          elem_id="cf-rich-download")
                with gr.Column(scale=2, min_width=320, elem_id="cf-sources-column"):
                    sources = gr.HTML(render.sources_html([]), elem_id="cf-sources")
            if settings.admin_password:
                with gr.Tab("Administration", id="admin"):
                    gr.Markdown("Réservé à l'équipe : déposer des documents dans le corpus et suivre l'index. "
                                "Saisissez le mot de passe d'administration (`CARREFOUR_ADMIN_PASSWORD`).")
                    with gr.Row():
                        password = gr.Textbox(type="password", label="Mot de passe", elem_id="cf-password", scale=3)
                        unlock_btn = gr.Button("Déverrouiller", elem_id="cf-unlock", scale=1)
                    unlocked = gr.Markdown(elem_id="cf-unlocked")
                    with gr.Column(visible=False, elem_id="cf-admin-panel") as panel:
                        state = gr.HTML(elem_id="cf-status")
                        kinds = ", ".join(s.lstrip(".").upper() for s in admin.ALLOWED if s != ".htm")
                        uploads = gr.File(label=f"Documents à ajouter ({kinds} ; {settings.max_upload_mb} Mo au plus)",
                                          file_count="multiple", file_types=list(admin.ALLOWED), elem_id="cf-upload")
                        ingest = gr.Button("Déposer et indexer", variant="primary", elem_id="cf-ingest")
                        with gr.Row():
                            uploaded = gr.Dropdown([], label=f"Documents déposés ({settings.upload_folder}/)",
                                                   elem_id="cf-uploaded", scale=3)
                            remove_btn = gr.Button("Retirer du corpus", variant="stop", elem_id="cf-remove", scale=1)
                        report = gr.HTML(elem_id="cf-report")
                    # Outside the queue (queue=False): a flood of password guesses never fills the chat's queue,
                    # and the guard answers them at once.
                    for trigger in (unlock_btn.click, password.submit):
                        trigger(unlock, [password], [panel, unlocked, state, uploaded], api_visibility="private",
                                queue=False)
                    # Uploads and removals are queued (one at a time), but only `.success` of `admit` outside the
                    # queue: a refused client never takes one of the places the chat shares. upload and remove check
                    # again (their events can be called directly); a wrong password never reaches them, so the guard
                    # counts each attempt once.
                    for button, work, given in ((ingest, upload, uploads), (remove_btn, remove, uploaded)):
                        checked = button.click(admit, [password], None, api_visibility="private", queue=False)
                        checked.failure(refusal, None, [report], api_visibility="private", queue=False)
                        checked.success(
                            work, [password, given], [report], api_visibility="private", concurrency_limit=1,
                            concurrency_id="ingest").then(
                            status, [password], [state, uploaded], api_visibility="private", queue=False).then(
                            refresh, None, [intro, kind, folder, speaker], api_visibility="private", show_progress="hidden")
            with gr.Tab("Aide", id="aide"):
                gr.Markdown(HELP)

        ask_outputs = [conversation, sources, turns, question, selector, markdown, download, rich, rich_download,
                       feedback_box]
        filters = [kind, year_from, year_to, folder, speaker]
        for trigger in (send.click, question.submit):
            trigger(respond, [question, turns, *filters], ask_outputs, api_visibility="private",
                    show_progress="minimal")
        for button in buttons:
            button.click(respond, [button, turns, *filters], ask_outputs, api_visibility="private",
                         show_progress="minimal")
        new.click(new_conversation, None, [*ask_outputs[:3], question, selector, markdown, download, thanks, rich,
                                           rich_download, feedback_box],
                  api_visibility="private")
        for button, rating in ((up, "up"), (down, "down")):
            button.click(give(rating), [turns, selector, comment, wrong], [thanks, comment, wrong],
                         api_visibility="private")
        selector.input(lambda t, i: (*chat.export(t, i), *chat.export_rich(t, i)), [turns, selector],
                       [markdown, download, rich, rich_download], api_visibility="private")
        demo.load(refresh, None, [intro, kind, folder, speaker], api_visibility="private", show_progress="hidden")
        gr.api(_api(chat.api_ask), api_name="ask")
        gr.api(_api(feedback_api), api_name="feedback")
    demo.carrefour_guard = guard  # type: ignore[attr-defined]  # read by `launch` for the upload route
    return demo


def _uploaded(settings: Settings) -> Any:
    return gr.update(choices=admin.uploaded_files(settings), value=None)


def _api(fn):  # type: ignore[no-untyped-def]
    """API errors as a short French `gr.Error`, never a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CarrefourError as exc:
            raise gr.Error(public(str(exc))) from exc  # the server's folders are nobody's business
        except Exception as exc:
            raise gr.Error("Erreur inattendue : réessayez, et si elle persiste, prévenez l'équipe.") from exc
    return wrapper


def launch(demo: gr.Blocks, assistant: Assistant, settings: Settings, host: str = "127.0.0.1", port: int = 7860,
           share: bool = False, block: bool = True, quiet: bool = False) -> gr.Blocks:
    """Queue sized for 2 cores, the `/document` route in front of Gradio's, no analytics, no run history."""
    from starlette.middleware import Middleware
    from starlette.routing import Route

    files = DocumentFiles(settings, lambda cid: next(iter(assistant.store.get([cid])), None))
    guard = getattr(demo, "carrefour_guard", None) if settings.admin_password else None
    demo.queue(default_concurrency_limit=2, max_size=100)
    demo.launch(
        server_name=host, server_port=port, share=share, prevent_thread_lock=True, quiet=quiet, show_error=False,
        max_file_size=f"{settings.max_upload_mb}mb", footer_links=["api"], run_history=False, ssr_mode=False,
        # A plain Starlette route given to the FastAPI app: it is matched before Gradio's own routes.
        app_kwargs={"routes": [Route(ROUTE, files.response, methods=["GET"])],
                    "middleware": [Middleware(Protect, guard=guard)]},
        theme=THEME, css=CSS, head=HEAD,
    )
    if block:
        demo.block_thread()
    return demo
