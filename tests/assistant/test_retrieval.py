"""Hybrid retrieval, filters, duplicates, follow-ups, and the search/ask CLI contracts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from assistant.conversation import condense, is_follow_up
from assistant.retrieve import convex, rrf
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.types import Chunk, Filters, Hit
from ingest.pipeline import Ingestor
from ui.cli import main

DOCS = {
    "lois/lamy-article-7.md": "---\nkind: texte officiel\ndate: 2014-02-21\n---\n# Article 7\n\n"
    "Un conseil citoyen est mis en place dans chaque quartier prioritaire de la politique de la ville. "
    "Il est composé d'habitants tirés au sort et de représentants des associations et acteurs locaux.\n",
    "codes/cgct.jsonl": json.dumps({"id": "cgct:Article L5214-16", "article": "Article L5214-16",
                                    "code": "Code général des collectivités territoriales",
                                    "source": "LEGI consolidation ~mai 2015",
                                    "hierarchy": ["Partie législative", "Communauté de communes"],
                                    "text": "La communauté de communes exerce de plein droit au lieu et place des "
                                            "communes membres des compétences d'aménagement de l'espace et de "
                                            "développement économique."}, ensure_ascii=False) + "\n",
    "fiches/epci.md": "---\nkind: fiche\ndate: 2026-11-27\n---\n# Les EPCI\n\n## Métropoles\n\n"
    "La métropole exerce de plein droit des compétences élargies en matière de politique de la ville.\n",
    # the same article text as a second source: shown once, with its other source listed
    "copies/article-7.md": "# Article 7\n\nUn conseil citoyen est mis en place dans chaque quartier prioritaire de "
    "la politique de la ville. Il est composé d'habitants tirés au sort et de représentants des associations et "
    "acteurs locaux.\n",
}


@pytest.fixture
def assistant(settings: Settings, tmp_path: Path) -> Assistant:
    corpus = tmp_path / "corpus"
    for rel, text in DOCS.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text, encoding="utf-8")
    a = Assistant(settings)
    Ingestor(settings, a.embedder, a.store, quiet=True).run([corpus])
    return a


def test_rrf_rewards_agreement() -> None:
    scores = rrf([(1.0, ["a", "b", "c"]), (1.0, ["b", "d"])], 60)
    assert max(scores, key=scores.__getitem__) == "b"
    assert scores["a"] > scores["d"]


def test_a_passage_far_ahead_on_one_side_is_not_passed_by_one_fair_on_both() -> None:
    # « PETR » : BM25 finds the PETR articles far ahead; the cosines barely differ, none above the others
    dense = {"retrait": 0.867, "bureau": 0.864, "petr": 0.850, "autre": 0.84}
    keyword = {"petr": 8.4, "retrait": 4.4, "autre": 4.0}
    fused = convex(dense, keyword, 0.4)
    assert max(fused, key=lambda i: fused[i]) == "petr"
    rank_fused = rrf([(1.0, sorted(dense, key=lambda i: -dense[i])), (1.0, sorted(keyword, key=lambda i: -keyword[i]))], 60)
    assert max(rank_fused, key=lambda i: rank_fused[i]) == "retrait"  # what ranks alone made of it
    # each side is read on its own scale: the best cosine and the best BM25 score count 1
    assert convex({"a": 0.9, "b": 0.8}, {}, 0.4) == {"a": 0.4, "b": 0.0}
    assert convex({}, {"a": 6.0, "b": 3.0}, 0.4) == {"a": 0.6, "b": 0.3}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_every_mode_finds_the_article(assistant: Assistant, mode: str) -> None:
    hits = assistant.search("qui compose le conseil citoyen ?", 3, mode=mode)  # type: ignore[arg-type]
    assert hits and "conseil citoyen" in hits[0].chunk.text


def test_legal_identifier_and_acronym_queries(assistant: Assistant) -> None:
    assert assistant.search("L. 5214-16", 1)[0].chunk.record_id == "cgct:Article L5214-16"
    assert assistant.search("compétences des EPCI", 1, mode="bm25")[0].chunk.source in {
        "codes/cgct.jsonl", "fiches/epci.md"}


def test_duplicates_show_once_with_their_other_source(assistant: Assistant) -> None:
    hits = assistant.search("conseil citoyen tirage au sort", 5)
    matching = [h for h in hits if "tirés au sort" in h.chunk.text]
    assert len(matching) == 1
    other = {"lois/lamy-article-7.md", "copies/article-7.md"} - {matching[0].chunk.source}
    assert list(matching[0].also_in) == list(other)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


def test_filters_apply_to_both_sides(assistant: Assistant) -> None:
    for mode in ("hybrid", "dense", "bm25"):
        hits = assistant.search("compétences de plein droit", 5, Filters(kind="fiche"), mode=mode)  # type: ignore[arg-type]
        assert {h.chunk.source for h in hits} == {"fiches/epci.md"}
        hits = assistant.search("compétences", 5, Filters(year_to=2015), mode=mode)  # type: ignore[arg-type]
        assert hits and all(h.chunk.date and h.chunk.date[:4] <= "2015" for h in hits)
        hits = assistant.search("compétences", 5, Filters(folder="codes"), mode=mode)  # type: ignore[arg-type]
        assert {h.chunk.source for h in hits} == {"codes/cgct.jsonl"}


def test_follow_up_is_completed_from_the_previous_question() -> None:
    assert is_follow_up("et pour les métropoles ?")
    assert not is_follow_up("Quelles compétences exerce une communauté de communes ?")
    assert condense("et pour les métropoles ?", ["Quelles compétences pour une communauté de communes ?"]) == (
        "Quelles compétences pour une communauté de communes ? et pour les métropoles ?")
    assert condense("Qui finance l'ANRU ?", ["autre chose"]) == "Qui finance l'ANRU ?"
    assert is_follow_up("Qui la préside ?")


def test_extractive_answer_cites_what_it_says(assistant: Assistant) -> None:
    answer = assistant.ask("Comment est composé un conseil citoyen ?")
    assert not answer.abstained
    assert "tirés au sort" in answer.text and "[1]" in answer.text
    assert all(s.supported and s.citations for s in answer.sentences)
    for s in answer.sentences:
        cited = {c.n: c.hit.chunk.text for c in answer.citations}
        assert all(s.text in cited[n] for n in s.citations)
    assert len(answer.text.split()) <= 140
    assert answer.timings["answer_ms"] < 200


def test_abstains_on_questions_the_corpus_cannot_answer(assistant: Assistant) -> None:
    answer = assistant.ask("Quel est le montant de la dotation de solidarité urbaine de Roubaix en 2024 ?")
    assert answer.abstained and answer.sentences == ()
    assert "rien trouvé" in answer.text
    assert 1 <= len(answer.citations) <= 3


def run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            stdin: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(args) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_search_and_ask_json_contracts(assistant: Assistant, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CARREFOUR_EMBEDDER", "hash")
    data = str(assistant.settings.data_dir)
    (out,) = run_cli(["search", "conseil citoyen", "--k", "2", "--json", "--data-dir", data], monkeypatch, capsys)
    assert list(out) == ["query", "hits"] and len(out["hits"]) == 2
    hit = out["hits"][0]
    for key, kind in {"rank": int, "score": float, "chunk_id": str, "source": str, "title": str, "text": str,
                      "also_in": list}.items():
        assert isinstance(hit[key], kind), key
    for key in ("section", "page", "record_id", "date", "kind"):
        assert key in hit
    lines = run_cli(["ask", "-", "--json", "--data-dir", data], monkeypatch, capsys,
                    stdin="Qui compose le conseil citoyen ?\n\nMontant de la DSU de Roubaix en 2024 ?\n")
    assert [a["abstained"] for a in lines] == [False, True]
    first = lines[0]
    assert list(first)[:8] == ["question", "answer", "abstained", "mode", "citations", "sentences", "timings",
                               "removed_citations"]
    assert first["mode"] == "extractive" and first["citations"][0]["n"] == 1
    assert set(first["sentences"][0]) >= {"text", "citations", "supported"}
    assert set(first["timings"]) == {"retrieve_ms", "answer_ms"}
    (filtered,) = run_cli(["search", "compétences", "--kind", "fiche", "--json", "--data-dir", data],
                          monkeypatch, capsys)
    assert {h["kind"] for h in filtered["hits"]} == {"fiche"}


def test_results_are_units_one_hit_each_with_their_other_passages_and_other_forms() -> None:
    from assistant.retrieve import group

    article = ("Les conseils citoyens sont composés, d'une part, d'habitants tirés au sort dans le respect de la "
               "parité entre les femmes et les hommes et, d'autre part, de représentants des associations et "
               "acteurs locaux. Ils participent à toutes les instances de pilotage du contrat de ville.")

    def c(cid: str, text: str, source: str, record: str | None = None, section: str | None = "Article 7") -> Chunk:
        return Chunk(id=cid, text=text, source=source, root="/r", title="Article 7", section=section,
                     record_id=record)

    md1 = c("md1", article[:150], "lamy/article-7.md")
    md2 = c("md2", article[120:], "lamy/article-7.md")
    jsonl = c("j", article[:200], "lois.jsonl", record="lamy:Article 7", section=None)  # cut elsewhere
    other = c("o", "La métropole exerce de plein droit les compétences suivantes en matière de politique de la ville.",
              "cgct.jsonl", record="cgct:L5217-2", section=None)
    hits = [Hit(md1, 0.9, dense_score=0.8), Hit(jsonl, 0.8), Hit(other, 0.7), Hit(md2, 0.6, dense_score=0.85)]
    found = group(hits, 10, bonus=0.1)
    assert [h.chunk.id for h in found] == ["md1", "o"] and [h.rank for h in found] == [1, 2]
    assert found[0].passages == (md2,) and found[0].also_in == ("lois.jsonl#lamy:Article 7",)
    assert found[0].score == pytest.approx(0.9 + 0.1 * 0.6) and found[0].dense_score == 0.85
    assert group(hits, 10)[0].score == 0.9  # no bonus by default
    assert len(group(hits, 1)) == 1


def test_the_article_the_question_names_comes_first(assistant: Assistant) -> None:
    # without the boost, the words of the conseil citoyen article outweigh the one article number
    hits = assistant.search("l'article L. 5214-16 dit-il qui compose le conseil citoyen du quartier prioritaire ?", 3)
    assert hits[0].chunk.record_id == "cgct:Article L5214-16"
    assert "conseil citoyen" in hits[1].chunk.text


def test_a_question_raised_in_2017_is_answered_from_a_document_that_covers_half_of_it(
        settings: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "actes").mkdir(parents=True)
    (corpus / "fiches").mkdir()
    (corpus / "actes" / "journee.md").write_text(
        "---\nkind: actes\ndate: 2017-12-11\n---\n# Journée nationale\n\n## Quatrième série de questions\n\n"
        "La médiation sociale et numérique peut-elle générer de nouveaux métiers ?\n", encoding="utf-8")
    (corpus / "fiches" / "metiers.md").write_text(
        "---\nkind: fiche\ndate: 2025-12-01\n---\n# Les métiers\n\n## Adultes-relais et médiation\n\n"
        "La médiation sociale et numérique compte parmi les métiers en émergence des quartiers.\n", encoding="utf-8")
    a = Assistant(settings.model_copy(update={"abstain_threshold": 0.0}))
    Ingestor(settings, a.embedder, a.store, quiet=True).run([corpus])
    answer = a.ask("la médiation sociale et numérique, ça peut générer de nouveaux métiers ?")
    assert 0.5 <= answer.strength < 0.75  # a block that covers half the question, not one that answers alone
    assert not answer.abstained and answer.text.startswith("Cette question a été posée dans « Journée nationale »")
    assert "métiers en émergence" in answer.text and "?" not in answer.text.split("\n", 1)[1]
