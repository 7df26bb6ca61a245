"""Look of the page: theme with system fonts (no font downloaded from outside), CSS, the source-link script, help."""

from __future__ import annotations

import gradio as gr

THEME = gr.themes.Default(
    primary_hue="blue", neutral_hue="slate",
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto; }
.cf-header { padding: .4rem 0 0; }
.cf-header h1 { margin: 0; font-size: 1.9rem; color: #1e3a8a; letter-spacing: -.01em; }
.cf-header p { margin: .1rem 0 0; color: var(--body-text-color-subdued); font-size: 1.05rem; }
.cf-intro { font-size: 1rem; }
#cf-conversation { min-height: 0; }
.cf-conv { display: flex; flex-direction: column; gap: .9rem; }
.cf-empty p { color: var(--body-text-color-subdued); background: var(--background-fill-secondary);
  border-radius: .6rem; padding: 1rem; margin: 0; line-height: 1.55; }
.cf-turn { display: flex; flex-direction: column; gap: .5rem; }
.cf-who { font-size: .78rem; font-weight: 600; color: var(--body-text-color-subdued); margin-bottom: .15rem;
  text-transform: uppercase; letter-spacing: .04em; }
.cf-q { align-self: flex-end; max-width: 85%; text-align: left; }
.cf-q .cf-who { text-align: right; }
.cf-q .cf-bubble { background: #1e40af; color: #fff; border-radius: .9rem .9rem .2rem .9rem; }
.cf-a .cf-bubble { background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary);
  border-radius: .9rem .9rem .9rem .2rem; }
.cf-bubble { padding: .7rem 1rem; line-height: 1.6; font-size: 1.02rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.cf-bubble p { margin: 0 0 .4rem; }
.cf-wait { color: var(--body-text-color-subdued); font-style: italic; }
a.cf-cite { font-weight: 700; text-decoration: none; color: #1d4ed8; padding: 0 .1rem; border-radius: .2rem; }
a.cf-cite:hover, a.cf-cite:focus { background: #dbeafe; text-decoration: underline; }
.cf-unsupported { text-decoration: underline wavy #ea580c; text-underline-offset: 3px; }
.cf-flag { display: inline-block; margin-left: .3rem; font-size: .72rem; font-weight: 600; color: #9a3412;
  background: #ffedd5; border-radius: .3rem; padding: 0 .35rem; vertical-align: middle; }
.cf-warn { color: #9a3412; font-size: .92rem; }
.cf-quote { margin: 0 0 .6rem; white-space: normal; }
.cf-qlabel { font-weight: 600; font-size: .92rem; color: var(--body-text-color-subdued); }
.cf-quote blockquote { margin: .15rem 0 0; padding-left: .7rem; border-left: 3px solid #93c5fd; }
.cf-list { margin: .2rem 0 0 1.1rem; padding: 0; }
.cf-note { font-style: italic; }
.cf-notfound { border-left: 4px solid #f59e0b; padding-left: .7rem; }
.cf-notfound ul { margin: .2rem 0 0; }
.cf-error { color: #b91c1c; }
.cf-time { font-size: .75rem; color: var(--body-text-color-subdued); margin-top: .3rem; }
#cf-sources-column { position: sticky; top: .5rem; align-self: flex-start; max-height: 92vh; overflow-y: auto; }
.cf-sources details { margin-bottom: .6rem; }
.cf-sources summary { cursor: pointer; font-weight: 600; padding: .3rem 0; }
.cf-source { border: 1px solid var(--border-color-primary); border-radius: .6rem; padding: .7rem .9rem;
  margin: .5rem 0; background: var(--background-fill-primary); scroll-margin-top: .5rem; transition: box-shadow .3s; }
.cf-source header { font-size: 1rem; line-height: 1.35; }
.cf-n { color: #1d4ed8; font-weight: 700; }
.cf-meta { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .6rem; font-size: .85rem;
  margin: .5rem 0; color: var(--body-text-color-subdued); }
.cf-meta dt { font-weight: 600; } .cf-meta dd { margin: 0; overflow-wrap: anywhere; }
.cf-passage { margin: .4rem 0; padding: .5rem .7rem; border-left: 3px solid #93c5fd; font-size: .92rem;
  line-height: 1.55; white-space: pre-wrap; max-height: 22rem; overflow-y: auto; background: var(--background-fill-secondary); }
.cf-passage mark { background: #fde68a; color: #111827; padding: .05rem 0; border-radius: .15rem; }
a.cf-open { font-size: .9rem; font-weight: 600; }
.cf-flash { box-shadow: 0 0 0 3px #60a5fa; }
.cf-examples button { white-space: normal !important; text-align: left; justify-content: flex-start; }
.cf-label p { margin: .4rem 0 0; }
.cf-admin ul { margin: .3rem 0; } .cf-progress { font-weight: 600; }
.cf-banner { border-left: 4px solid #dc2626; background: #fef2f2; color: #7f1d1d; padding: .6rem .9rem;
  border-radius: .4rem; font-weight: 600; }
/* Each answer's sources under it on a narrow screen, in the side panel otherwise (the columns wrap below
   ≈ 700 px: 360 + 320 px of minimum width). */
.cf-inline-sources { display: none; white-space: normal; margin-top: .3rem; }
.cf-inline-sources summary { cursor: pointer; font-weight: 600; }
@media (max-width: 760px) {
  .cf-inline-sources { display: block; }
  #cf-sources-column { display: none !important; }
}
"""

# `[n]` opens the cited source: unfold its answer's block, scroll to it and make it blink once.
HEAD = """
<script>
document.addEventListener("click", function (event) {
  var link = event.target && event.target.closest ? event.target.closest("a.cf-cite") : null;
  if (!link) { return; }
  var id = link.getAttribute("data-target");
  var target = document.getElementById(id);
  if (!target || target.offsetParent === null) {  // panel hidden on a narrow screen: the copy under the answer
    target = document.getElementById(id.replace("cf-src-", "cf-isrc-")) || target;
  }
  if (!target) { return; }
  event.preventDefault();
  var fold = target.closest("details");
  if (fold) { fold.open = true; }
  target.scrollIntoView({behavior: "smooth", block: "start"});
  target.classList.remove("cf-flash");
  void target.offsetWidth;
  target.classList.add("cf-flash");
  setTimeout(function () { target.classList.remove("cf-flash"); }, 2000);
});
</script>
"""

HELP = """
### Comment lire une réponse
- Chaque phrase de la réponse est suivie d'un numéro **[1]**, **[2]**… : cliquez dessus pour afficher, à droite,
  le passage du document d'où elle vient, avec la phrase utilisée **surlignée en jaune**.
- Sous chaque passage, **« Ouvrir le document original »** ouvre le fichier (un PDF s'ouvre à la bonne page).
- Une phrase **soulignée en orange** et marquée « non vérifiée » n'est pas confirmée par les passages cités :
  ne la reprenez pas sans vérifier.
- **« Pas trouvé »** : le corpus ne contient rien de fiable sur la question ; les passages les plus proches sont
  proposés comme pistes. Reformulez, ou retirez les filtres.
- Chaque source indique sa date et, quand le document la donne, son **état du droit** : la date à laquelle son
  contenu était exact (pour un texte officiel, la date de la version consolidée). Une réponse qui cite un texte
  vieux de plus d'un an le signale : vérifiez toujours la version en vigueur sur Légifrance.
- Sur un écran étroit (téléphone), les sources de chaque réponse s'affichent juste en dessous d'elle.

### Poser une question
- Écrivez en français, comme vous le diriez à un collègue. Une question de suite (« et pour les métropoles ? »)
  tient compte des questions précédentes ; **« Nouvelle conversation »** repart de zéro.
- **Filtrer les documents** limite la recherche à un type (fiche, texte officiel, actes…), à des années ou à un
  dossier.

### Donner votre avis
Après une réponse, ouvrez « Votre avis sur une réponse » et cliquez sur **👍 Réponse utile** ou **👎 Réponse
insatisfaisante** (avec un commentaire si vous le souhaitez) ; cochez **« Source
erronée »** si un passage cité ne dit pas ce que la réponse lui fait dire. Les avis servent à construire des
questions de test pour améliorer l'assistant.

### Réutiliser une réponse
« Exporter la réponse » donne la réponse en Markdown, avec ses sources en notes de bas de page, à copier ou
télécharger, et une version **mise en forme** (HTML) à ouvrir dans Word ou à coller dans un courriel : les
renvois [1], [2]… y deviennent des appels de note et les sources une liste numérotée.
"""
