"""Reports of a run: the summary table (Markdown), report.md, and a self-contained report.html with plots."""

from __future__ import annotations

import base64
import html
import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.scoring import recall_curve

COLUMNS = (
    ("hit@1", "hit@1"), ("hit@3", "hit@3"), ("hit@5", "hit@5"), ("hit@10", "hit@10"), ("recall@5", "R@5"),
    ("recall@10", "R@10"), ("mrr@10", "MRR@10"), ("ndcg@10", "nDCG@10"), ("unit_duplicates", "doublons/top 10"),
    ("answer_key_fact_coverage", "faits dans la réponse"), ("key_fact_coverage", "faits réponse+sources"),
    ("citation_precision", "préc. citations"), ("supported_share", "phrases étayées"),
    ("echo", "écho"), ("cut_list", "liste coupée"), ("orphan_start", "sans antécédent"), ("duplicate", "répétition"),
    ("bibliography", "bibliographie"), ("mixed_subject", "sujets mêlés"), ("partial_rate", "partielles"),
    ("abstention_accuracy", "abstention"), ("false_refusal_rate", "refus à tort"),
    ("latency_p50_ms", "p50 ms"), ("latency_p95_ms", "p95 ms"),
)
NAIVE_NOTE = (
    "`naive` : la recette des tutoriels LangChain (RecursiveCharacterTextSplitter(1000, 200) sur le texte brut des "
    "mêmes fichiers, même modèle d'embeddings, Chroma, recherche par similarité k=5), dans sa propre collection. "
    "Ses réponses sortent du même constructeur de réponses que les autres configurations (mêmes seuil d'abstention "
    "et contrôle des citations) : seule la recherche diffère. Les métriques de rang portent sur ses 10 premiers "
    "passages, la réponse sur les 5 premiers."
)
DEFINITIONS = (
    "Métriques de rang sur les questions qui ont une réponse (un passage de même texte ne compte qu'une fois). "
    "Faits dans la réponse : part des faits clés que dit le texte de la réponse lui-même, renvois retirés (ce que "
    "lit le praticien) ; faits réponse+sources : la mesure d'avant, qui compte aussi le texte entier des passages "
    "cités (0 en cas d'abstention). Défauts (écho d'une question, liste coupée, phrase sans antécédent, phrase "
    "répétée, bibliographie citée, sujets mêlés) et réponses partielles : part des réponses données qui les ont. "
    "Précision des citations : part des citations qui pointent vers un passage de référence ou contiennent un fait "
    "clé. Phrases étayées : part des phrases marquées étayées par le contrôle des citations. Abstention : part des "
    "questions sans réponse dans le corpus où l'assistant s'abstient ; refus à tort : part des autres où il "
    "s'abstient. Latence : recherche + réponse, en millisecondes."
)


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def cell(key: str, value: Any) -> str:
    return fmt(value, 1 if key.endswith("_ms") else 3)


def md_cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def markdown_table(results: Mapping[str, Any]) -> str:
    """One row per configuration, one column per metric."""
    lines = ["| configuration | " + " | ".join(label for _, label in COLUMNS) + " |",
             "| --- |" + " ---: |" * len(COLUMNS)]
    for config, agg in results["aggregates"].items():
        lines.append(f"| {config} | " + " | ".join(cell(key, agg.get(key)) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def ordered_questions(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Failures first: the questions failed by the most configurations, then by id."""
    def failing(q: Mapping[str, Any]) -> int:
        return sum(bool(r["failures"]) for r in q["results"].values())

    return sorted(results["questions"], key=lambda q: (-failing(q), q["id"]))


def gold_label(gold: Mapping[str, Any]) -> str:
    label = " — ".join(str(gold[k]) for k in ("source", "section", "record_id") if gold.get(k))
    return label + (" (absent de l'index)" if gold.get("in_store") is False else "")


def hit_label(hit: Mapping[str, Any]) -> str:
    where = " — ".join(str(hit[k]) for k in ("source", "section", "record_id") if hit.get(k))
    return ("✓ " if hit["gold"] else "") + where


def status(result: Mapping[str, Any]) -> str:
    return "échec : " + " ; ".join(result["failures"]) if result["failures"] else "ok"


# ---- report.md -------------------------------------------------------------------------------------------


def _meta_lines(meta: Mapping[str, Any]) -> list[str]:
    return [
        f"- Date : {meta.get('date')}",
        (f"- Modèle d'embeddings : {meta.get('embedder')} ; index : {meta.get('store_chunks')} passages "
         f"({meta.get('data_dir')})"),
        (f"- Questions : {meta.get('questions')} évaluées, {len(meta.get('skipped') or [])} écartées "
         f"(passages de référence absents de l'index) ; fichiers : {', '.join(meta.get('question_files') or [])}"),
        f"- Mode de réponse : {meta.get('mode')} ; passages retrouvés : {meta.get('k')}",
    ]


def report_markdown(results: Mapping[str, Any], diff_md: str | None = None) -> str:
    meta = results.get("meta") or {}
    lines = ["# Évaluation de Carrefour", "", *_meta_lines(meta), "", markdown_table(results), "", DEFINITIONS]
    if "naive" in results["aggregates"]:
        lines += ["", NAIVE_NOTE]
    if diff_md:
        lines += ["", diff_md]
    lines += ["", "## Par question (échecs d'abord)", "",
              "| id | configuration | statut | 1er pertinent | réponse |", "| --- | --- | --- | ---: | --- |"]
    for q in ordered_questions(results):
        for config, r in q["results"].items():
            answer = r["answer"] if len(r["answer"]) <= 200 else r["answer"][:200] + "…"
            lines.append(f"| {q['id']} | {config} | {md_cell(status(r))} | {fmt(r['first_relevant_rank'])} | "
                         f"{md_cell(answer)} |")
    for s in meta.get("skipped") or []:
        lines.append(f"| {s['id']} | — | {md_cell('écartée : ' + s['reason'])} | — | — |")
    return "\n".join(lines) + "\n"


# ---- plots -----------------------------------------------------------------------------------------------


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def recall_curves(results: Mapping[str, Any], top: int = 10) -> dict[str, list[float]]:
    curves: dict[str, list[float]] = {}
    for config in results["aggregates"]:
        rows = [recall_curve(q["results"][config]["found"], q["relevant"], top) for q in results["questions"]
                if q["answerable"] and q["relevant"] and config in q["results"]]
        if rows:
            curves[config] = [sum(r[i] for r in rows) / len(rows) for i in range(top)]
    return curves


def plots(results: Mapping[str, Any]) -> dict[str, str]:
    """Base64 PNGs: recall@k per configuration, and the latency distribution per stage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, str] = {}
    curves = recall_curves(results)
    if curves:
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for config, values in curves.items():
            ax.plot(range(1, len(values) + 1), values, marker="o", label=config)
        ax.set(xlabel="k", ylabel="rappel@k", ylim=(0, 1.02), xticks=range(1, 11), title="Rappel@k par configuration")
        ax.grid(alpha=0.3)
        ax.legend()
        out["recall"] = _png(fig)
        plt.close(fig)
    configs = list(results["aggregates"])
    stages = (("retrieve_ms", "recherche"), ("answer_ms", "réponse"), ("total_ms", "total"))
    fig, axes = plt.subplots(1, len(stages), figsize=(11, 3.8), sharey=False)
    for ax, (key, label) in zip(axes, stages):
        data = [[q["results"][c]["timings"].get(key, 0.0) for q in results["questions"] if c in q["results"]]
                for c in configs]
        ax.boxplot(data, tick_labels=configs, showfliers=True)
        ax.set(title=f"Latence : {label}", ylabel="ms")
        ax.grid(alpha=0.3, axis="y")
    out["latency"] = _png(fig)
    plt.close(fig)
    return out


# ---- report.html -----------------------------------------------------------------------------------------

CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f0f0f0} td.num{text-align:right}
tr.fail td.status{color:#a00;font-weight:600} tr.ok td.status{color:#060}
ol{margin:0;padding-left:1.4em} .gold{color:#060;font-weight:600} .small{font-size:.85em;color:#555}
img{max-width:100%}
table.questions{table-layout:fixed;width:100%} table.questions td{overflow-wrap:anywhere}
table.questions th:nth-child(1){width:14%} table.questions th:nth-child(2){width:15%}
table.questions th:nth-child(3){width:6%} table.questions th:nth-child(4){width:12%}
table.questions th:nth-child(5){width:28%}
"""


def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(results: Mapping[str, Any]) -> str:
    head = "".join(f"<th>{e(label)}</th>" for _, label in COLUMNS)
    rows = "".join(
        f"<tr><td>{e(c)}</td>" + "".join(f'<td class="num">{e(cell(k, agg.get(k)))}</td>' for k, _ in COLUMNS) + "</tr>"
        for c, agg in results["aggregates"].items()
    )
    return f"<table><tr><th>configuration</th>{head}</tr>{rows}</table>"


def _question_rows(results: Mapping[str, Any]) -> str:
    out: list[str] = []
    for q in ordered_questions(results):
        expected = "".join(f"<li>{e(gold_label(g))}</li>" for g in q["gold"]) or "<li>(aucun : s'abstenir)</li>"
        facts = f'<div class="small">faits clés : {e(" ; ".join(q["key_facts"]))}</div>' if q["key_facts"] else ""
        span = len(q["results"])
        for i, (config, r) in enumerate(q["results"].items()):
            top = "".join(f'<li class="{"gold" if h["gold"] else ""}">{e(hit_label(h))}</li>'
                          for h in r["retrieved"][:5])
            cells = "" if i else (f'<td rowspan="{span}"><b>{e(q["id"])}</b><br>{e(q["question"])}</td>'
                                  f'<td rowspan="{span}"><ol>{expected}</ol>{facts}</td>')
            out.append(f'<tr class="{"fail" if r["failures"] else "ok"}">{cells}<td>{e(config)}</td>'
                       f'<td class="status">{e(status(r))}</td><td><ol>{top}</ol></td><td>{e(r["answer"])}</td></tr>')
    return "".join(out)


def _diff_html(diff: Mapping[str, Any]) -> str:
    when = f" (référence du {diff['baseline_date']})" if diff.get("baseline_date") else ""
    changed = [(c, k, d) for c, ds in diff["aggregates"].items() for k, d in ds.items() if d["delta"]]
    out = [f"<h2>Comparaison avec la référence{e(when)}</h2>"]
    if changed:
        rows = "".join(f"<tr><td>{e(c)}</td><td>{e(k)}</td><td class='num'>{e(d['old'])}</td>"
                       f"<td class='num'>{e(d['new'])}</td><td class='num'>{d['delta']:+}</td></tr>"
                       for c, k, d in changed)
        out.append("<table><tr><th>configuration</th><th>métrique</th><th>avant</th><th>après</th>"
                   f"<th>écart</th></tr>{rows}</table>")
    for title, items in (("Régressions", diff["regressions"]), ("Améliorations", diff["improvements"])):
        rows = "".join(f"<li><b>{e(i['id'])}</b> [{e(i['config'])}] {e(i['change'])} — {e(i['question'])}</li>"
                       for i in items)
        out.append(f"<h3>{e(title)} ({len(items)})</h3><ul>{rows or '<li>Aucune.</li>'}</ul>")
    return "".join(out)


def report_html(results: Mapping[str, Any], diff: Mapping[str, Any] | None = None,
                images: Mapping[str, str] | None = None) -> str:
    meta = results.get("meta") or {}
    images = plots(results) if images is None else images
    figures = "".join(f'<p><img alt="{e(name)}" src="data:image/png;base64,{data}"></p>' for name, data in images.items())
    parts = [
        "<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Évaluation de Carrefour</title>",
        f"<style>{CSS}</style></head><body><h1>Évaluation de Carrefour</h1>",
        "<ul>" + "".join(f"<li>{e(line[2:])}</li>" for line in _meta_lines(meta)) + "</ul>",
        _html_table(results), f"<p class='small'>{e(DEFINITIONS)}</p>",
    ]
    if "naive" in results["aggregates"]:
        parts.append(f"<p class='small'>{e(NAIVE_NOTE.replace('`', ''))}</p>")
    parts.append(figures)
    if diff:
        parts.append(_diff_html(diff))
    parts += [
        ("<h2>Par question (échecs d'abord)</h2><table class='questions'><tr><th>question</th><th>attendu</th><th>config.</th>"
         "<th>statut</th><th>5 premiers passages (✓ = référence)</th><th>réponse</th></tr>"),
        _question_rows(results), "</table>",
    ]
    skipped = meta.get("skipped") or []
    if skipped:
        parts.append("<h2>Questions écartées</h2><ul>"
                     + "".join(f"<li>{e(s['id'])} : {e(s['reason'])}</li>" for s in skipped) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_reports(results: Mapping[str, Any], out: Path, diff: Mapping[str, Any] | None = None) -> Sequence[Path]:
    from evals.compare import diff_markdown

    out.mkdir(parents=True, exist_ok=True)
    diff_md = diff_markdown(diff) if diff else None
    paths = [out / "results.json", out / "report.md", out / "report.html"]
    data = dict(results)
    if diff:
        data["meta"] = {**(results.get("meta") or {}), "baseline": diff}
    paths[0].write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    paths[1].write_text(report_markdown(results, diff_md), encoding="utf-8")
    paths[2].write_text(report_html(results, diff), encoding="utf-8")
    return paths
