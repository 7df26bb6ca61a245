"""The extractive composer: whole blocks under their label, one when it answers, questions never quoted."""

from __future__ import annotations

import datetime as dt

from assistant.answer import extractive
from assistant.compose import compose, quote_label
from assistant.query import analyse
from assistant.stores.memory import MemoryStore
from assistant.types import Chunk, Hit

TODAY = dt.date(2026, 12, 2)
COMPOSITION = ("Le conseil citoyen réunit deux catégories de membres :\n"
               "- des habitants tirés au sort, dans le respect de la parité ;\n"
               "- des représentants des associations et acteurs locaux du quartier.")


def chunk(text: str, section: str | None, n: int = 1, *, title: str = "Les conseils citoyens", kind: str = "fiche",
          source: str = "fiches/cc.md", start: int = 0, **meta: object) -> Chunk:
    return Chunk(id=f"c{n}-{start}", text=text, source=source, root="/r", title=title,
                 section=f"{title} > {section}" if section else None, kind=kind, start=start,
                 end=start + len(text), metadata=meta)  # type: ignore[arg-type]


def hits(*chunks: Chunk) -> list[Hit]:
    return [Hit(c, 1.0 / r, r) for r, c in enumerate(chunks, start=1)]


def answer(question: str, found: list[Hit], unit_chunks=None):  # type: ignore[no-untyped-def]
    composition = compose(analyse(question), found, None, unit_chunks)
    return composition, extractive(question, composition, TODAY)


def test_one_block_that_answers_is_the_whole_answer_with_its_label_and_all_its_items() -> None:
    found = hits(chunk(COMPOSITION, "Composition", 1),
                 chunk("Les conseils citoyens participent au pilotage du contrat de ville.", "Missions", 2))
    composition, (text, citations, sentences, _) = answer("Qui peut être membre d'un conseil citoyen ?", found)
    assert len(composition.quotes) == 1 and not composition.partial
    assert text.splitlines() == ["Fiche « Les conseils citoyens » — Composition [1] :", *COMPOSITION.splitlines()]
    assert [c.n for c in citations] == [1]
    assert [s.text for s in sentences][1:] == ["des habitants tirés au sort, dans le respect de la parité ;",
                                               "des représentants des associations et acteurs locaux du quartier."]


def test_a_list_cut_by_the_splitter_is_quoted_whole_from_its_unit() -> None:
    first, second = COMPOSITION[:80], COMPOSITION[60:]
    a = chunk(first, "Composition", 1, start=0)
    b = chunk(second, "Composition", 1, start=60)
    store = MemoryStore()
    store.upsert([a, b], [[1.0, 0.0], [1.0, 0.0]])
    _, (text, *_rest) = answer("Qui peut être membre d'un conseil citoyen ?", hits(a), store.unit_chunks)
    assert "représentants des associations et acteurs locaux" in text and text.count("- ") == 2


def test_a_subject_the_question_did_not_name_is_not_quoted_beside_the_one_it_named() -> None:
    cc = chunk("La communauté de communes exerce des compétences obligatoires et la politique de la ville en "
               "compétence optionnelle.", "Communauté de communes", 1, title="Intercommunalités")
    ca = chunk("La politique de la ville fait partie des compétences obligatoires de la communauté "
               "d'agglomération.", "Communauté d'agglomération", 2, title="Intercommunalités")
    _, (text, *_rest) = answer("La politique de la ville est-elle une compétence obligatoire d'une "
                                         "communauté de communes ?", hits(ca, cc))
    assert "agglomération" not in text and "compétence optionnelle" in text


def test_a_question_of_the_corpus_is_said_to_be_raised_never_quoted_as_its_own_answer() -> None:
    actes = chunk("Première série de questions\n\nVers une nouvelle politique contractuelle ?\n\nQuel est sa "
                  "direction ?", None, 1, title="Journée nationale du 11 décembre 2017", kind="actes",
                  source="actes/j.txt")
    actes = Chunk(**{**actes.__dict__, "date": "2017-12-11"})
    composition, (text, *_rest) = answer("Vers une nouvelle politique contractuelle ?", hits(actes))
    assert composition.raised_in is not None and not composition.quotes
    assert "?" not in text and "Cette question a été posée dans « Journée nationale du 11 décembre 2017 » [1]" in text


def test_a_number_asked_for_and_not_given_makes_a_partial_answer() -> None:
    found = hits(chunk("Le contrat de ville est signé par le préfet, le président de l'EPCI et les maires.",
                       "Signataires", 1, title="Les contrats de ville"))
    composition, (text, *_rest) = answer("Combien de communes signent le contrat de ville ?", found)
    assert composition.partial and text.startswith("Réponse partielle : les passages trouvés ne donnent pas")
    given = hits(chunk("Le contrat de ville est conclu pour six ans.", "Durée", 1, title="Les contrats de ville"))
    assert not answer("Le contrat de ville est signé pour combien de temps ?", given)[0].partial


def test_bibliographies_are_never_quoted_and_near_duplicates_are_quoted_once_citing_both() -> None:
    rule = "Les membres du conseil citoyen sont tirés au sort parmi les habitants du quartier prioritaire."
    found = hits(chunk("Loi n° 2014-173, article 7 : les membres du conseil citoyen sont tirés au sort.", "Sources", 1),
                 chunk(rule, "Composition", 2),
                 chunk(rule.replace("Les membres", "Ainsi, les membres"), None, 3, title="Article 7",
                       kind="texte officiel", source="loi/article-7.md"))
    composition, (text, citations, *_rest) = answer("Comment sont désignés les membres du conseil citoyen ?", found)
    assert "Loi n° 2014-173, article 7 :" not in text
    assert len(composition.quotes) == 1 and "[1][2]" in text and len(citations) == 2


def test_an_old_text_is_said_to_be_old_with_its_date() -> None:
    law = chunk("Les conseils citoyens sont composés d'habitants tirés au sort.", None, 1, title="Article 7",
                kind="texte officiel", valid_as_of="2015-05")
    _, (text, _c, _s, notes) = answer("Comment sont composés les conseils citoyens ?", hits(law))
    assert notes[-1] == ("Attention : ce texte décrit le droit de mai 2015, il y a plus d'un an ; vérifiez la version en "
                         "vigueur sur Légifrance.") and text.endswith(notes[-1])
    actes = chunk(law.text, None, 1, title="Journée", kind="actes", valid_as_of="2017-12-11")
    assert answer("Comment sont composés les conseils citoyens ?", hits(actes))[1][3] == (
        "Attention : ce document est à jour au 11 décembre 2017, il y a plus d'un an ; vérifiez qu'il l'est toujours.",)
    fresh = chunk(law.text, None, 1, title="Article 7", kind="texte officiel", valid_as_of="2026-06")
    assert answer("Comment sont composés les conseils citoyens ?", hits(fresh))[1][3] == ()


def test_labels_say_where_each_quote_comes_from() -> None:
    assert quote_label(chunk("x", "Composition")) == "Fiche « Les conseils citoyens » — Composition"
    law = Chunk(id="l", text="x", source="c.jsonl", root="/r", title="Article L5214-16", kind="texte officiel",
                metadata={"code": "Code général des collectivités territoriales"})
    assert quote_label(law) == "Code général des collectivités territoriales — Article L5214-16"


def test_a_list_too_long_to_quote_shows_every_item_shortened_and_says_so() -> None:
    from assistant.checks import cut_list

    items = [f"{n}° La compétence numéro {n} " + "qui s'étend sur de très nombreux mots " * 4 + ";" for n in range(1, 9)]
    text = "La communauté de communes exerce les compétences suivantes :\n\n" + "\n\n".join(items)
    law = chunk(text, None, 1, title="Article L5214-16", kind="texte officiel")
    composition, (answer_text, *_rest) = answer("Quelles compétences exerce la communauté de communes ?", hits(law))
    (quote,) = composition.quotes
    assert quote.summarised and answer_text.count("\n- ") == 8 and answer_text.count(" …") == 8
    assert "(Liste de 8 éléments abrégés : le texte complet est dans la source [1].)" in answer_text
    assert not cut_list(answer_text, [law])


def test_a_quote_of_proceedings_names_the_speaker_and_the_day() -> None:
    turn = chunk("Les conseils citoyens ont trouvé leur place.", "Loïc Cauret", 1, kind="actes",
                 title="Journée nationale du 11 décembre 2017", speaker="Loïc Cauret", organisation="AdCF")
    assert quote_label(turn) == "Loïc Cauret (AdCF), « Journée nationale du 11 décembre 2017 »"


def test_a_paragraph_opening_on_a_pronoun_comes_with_the_one_before() -> None:
    from assistant.checks import orphan_start

    text = ("La politique de la ville est une politique de cohésion urbaine.\n\n"
            "Elle s'inscrit dans une démarche de coconstruction avec les habitants et la coformation.")
    law = chunk(text, None, 1, title="Article 1", kind="texte officiel")
    composition, (answer_text, *_rest) = answer("coformation politique de la ville ?", hits(law))
    assert composition.quotes[0].block.text.startswith("La politique de la ville") and not orphan_start(answer_text)


def test_leads_are_never_a_sources_section() -> None:
    from assistant.answer import leads

    found = hits(chunk("- Loi n° 2014-173, article 7.", "Sources", 1), chunk("Le conseil citoyen se réunit.", "Missions", 2))
    text, citations, _ = leads(found)
    assert [c.hit.chunk.section for c in citations] == ["Les conseils citoyens > Missions"] and "Sources" not in text


def test_the_blocks_of_one_unit_that_answer_come_together_in_its_order_under_one_label() -> None:
    section = COMPOSITION + ("\n\nLe tirage au sort vise les personnes éloignées des instances habituelles. La "
                             "circulaire du 2 février 2017 recommande de 15 à 50 membres.")
    other = chunk("Le conseil citoyen participe au pilotage du contrat de ville.", "Missions", 2)
    composition, (text, *_rest) = answer("Le conseil citoyen, combien de membres et lesquels ?",
                                         hits(chunk(section, "Composition", 1), other))
    assert [q.block.kind for q in composition.quotes[:2]] == ["list", "paragraph"]
    assert text.count("Fiche « Les conseils citoyens » — Composition [1] :") == 1
    assert text.index("- des habitants tirés au sort") < text.index("15 à 50 membres")


def test_a_long_paragraph_is_cut_to_the_run_that_answers_not_after_it() -> None:
    # the fiche's paragraph, made longer than MAX_PARAGRAPH_WORDS: cut after its best single sentence, it lost
    # « 80 000 habitants »
    text = ("Dans les communes de 80 000 habitants et plus, le conseil municipal découpe la commune en quartiers et "
            "dote chacun d'un conseil de quartier (article L2143-1, issu de la loi « démocratie de proximité » du 27 "
            "février 2002). Le conseil municipal en fixe la dénomination, la composition et le fonctionnement ; il "
            "peut leur affecter un local et des crédits. Les conseils de quartier peuvent être consultés par le maire "
            "et lui faire des propositions ; le maire peut les associer aux actions menées au titre de la politique "
            "de la ville. Les communes de 20 000 à 79 999 habitants peuvent créer des conseils de quartier sans y "
            "être obligées. Dans les communes soumises à l'obligation, le maire peut décider que le conseil citoyen "
            "se substitue au conseil de quartier. Cette faculté évite la superposition de deux instances. "
            "Les conseils de quartier se réunissent au moins une fois par an en séance publique, sur un ordre du "
            "jour fixé par leur bureau, et rendent compte de leurs travaux au conseil municipal, qui en débat. Leur "
            "règlement intérieur précise la durée du mandat de leurs membres et les modalités de leur "
            "renouvellement, ainsi que la place laissée aux associations du quartier.")
    section = chunk(text, "Conseils de quartier", 1, title="La participation des habitants")
    _, (answer_text, *_rest) = answer("a partir de combien d'habitants une mairie est obligee de creer des "
                                      "conseils de quartier ?", hits(section))
    assert "« Dans les communes de 80 000 habitants et plus" in answer_text and answer_text.rstrip().endswith("(…) »")


def test_a_place_the_quotes_never_mention_is_said_and_the_question_refused() -> None:
    from assistant.answer import leads

    found = hits(chunk("Le délégué du préfet est l'interlocuteur de l'État dans les quartiers prioritaires.",
                       "Délégués du préfet", 1, title="La politique de la ville"))
    composition = compose(analyse("Qui est le délégué du préfet des Minguettes à Vénissieux ?"), found)
    assert composition.quotes and composition.unnamed == ("Minguettes", "Vénissieux")
    assert compose(analyse("Qui est le délégué du préfet dans un quartier ?"), found).unnamed == ()
    text, _citations, notes = leads(found, None, composition.unnamed)
    assert notes == ("Les passages les plus proches ne mentionnent pas « Minguettes » ni « Vénissieux ».",)
    assert text.startswith("Je n'ai rien trouvé de fiable") and notes[0] in text


def test_the_document_title_over_its_introduction_is_not_a_heading_that_answers() -> None:
    intro = Chunk(id="intro", text="Les conseils citoyens associent les habitants au contrat de ville.",
                  source="fiches/cc.md", root="/r", title="Les conseils citoyens", section="Les conseils citoyens",
                  kind="fiche", start=0, end=66)
    composition, _ = answer("Les conseils citoyens, qui en est membre ?",
                            hits(intro, chunk(COMPOSITION, "Composition", 2, start=100)))
    assert composition.quotes[0].block.kind == "list"


def test_a_number_asked_for_is_a_quantity_not_a_date_or_a_decree_number() -> None:
    from assistant.compose import satisfies
    from assistant.units import Block

    assert not satisfies(Block("paragraph", "Le décret n° 2014-767 du 3 juillet 2014 ajoute un nombre minimal "
                                            "d'habitants (article L5214-16)."), "number")
    for text in ("il doit compter au moins 1 000 habitants ;", "de 15 à 50 membres", "une durée de six ans",
                 "un abattement de 30 %"):
        assert satisfies(Block("paragraph", text), "number"), text


def test_siblings_are_read_through_the_glossary_and_a_subject_set_aside_is_not_named() -> None:
    cc = chunk("Les compétences de la communauté de communes comprennent l'aménagement de l'espace.",
               "Communauté de communes", 1, title="Intercommunalités")
    ca = chunk("Les compétences obligatoires de la communauté d'agglomération comprennent le développement "
               "économique et l'accueil de plus de 50 000 habitants.", "Communauté d'agglomération", 2,
               title="Intercommunalités")
    cu = chunk("La communauté urbaine regroupe plus de 250 000 habitants.", "Communauté urbaine", 3,
               title="Intercommunalités")
    _, (text, *_rest) = answer("les competences obligatoires et optionnelles d'une com com ?", hits(ca, cc))
    assert "aménagement de l'espace" in text and "agglomération" not in text
    _, (text, *_rest) = answer("a partir de combien d'habitants on cree une communaute urbaine ? (pas une agglo)",
                               hits(ca, cu))
    assert "250 000 habitants" in text and "agglomération" not in text


def test_a_place_known_to_the_corpus_asked_for_a_general_rule_is_answered_and_said() -> None:
    from assistant.compose import elsewhere
    from assistant.keyword import KeywordIndex

    rule = chunk("Le seuil de revenu retient 60 % du revenu médian de l'unité urbaine.", "Seuil de revenu", 1,
                 title="Les quartiers prioritaires")
    paris = chunk("L'agglomération de Paris compte plus de 5 millions d'habitants.", "Unités urbaines", 2,
                  title="Les quartiers prioritaires")
    keyword = KeywordIndex.build([rule, paris])
    count = analyse("combien de quartiers prioritaires a Paris ?")
    assert elsewhere(count, compose(count, hits(rule), keyword), keyword)  # a fact about the place: refused
    unknown = analyse("comment se calcule le revenu médian aux Minguettes ?")
    assert elsewhere(unknown, compose(unknown, hits(rule), keyword), keyword)  # a place the corpus never names
    known = analyse("comment se calcule le revenu médian a Paris ?")
    composition = compose(known, hits(rule), keyword)
    assert composition.unnamed == ("Paris",) and not elsewhere(known, composition, keyword)
    text, *_rest = extractive("comment se calcule le revenu médian a Paris ?", composition, TODAY)
    assert text.startswith("Les passages cités ne mentionnent pas « Paris » : ils donnent la règle générale.")


def test_a_section_headed_by_the_sibling_not_named_is_not_quoted() -> None:
    cq = chunk("Dans les communes de 80 000 habitants et plus, chaque quartier est doté d'un conseil de quartier ; le "
               "maire peut décider que le conseil citoyen se substitue au conseil de quartier.", "Conseils de quartier",
               1, title="La participation des habitants")
    cc = chunk("Les membres du conseil citoyen sont des habitants tirés au sort et des représentants d'associations.",
               "Composition", 2)
    _, (text, *_rest) = answer("Comment sont choisis les habitants qui siègent au conseil citoyen ?",
                               hits(cq, cc))
    assert "tirés au sort" in text and "80 000" not in text


def test_a_law_named_by_its_nickname_is_mentioned_by_a_quote_of_that_law() -> None:
    law = chunk("La politique de la ville est une politique de cohésion urbaine et de solidarité.", None, 1,
                title="Article 1", kind="texte officiel", source="loi-2014-173-lamy/titre-ier_article-1.md")
    composition = compose(analyse("c'est quoi la politique de la ville selon la loi Lamy ?"), hits(law))
    assert composition.quotes and composition.unnamed == ()
    other = chunk(law.text, None, 2, title="Article 1", kind="texte officiel", source="loi-2003-710/article-1.md")
    assert compose(analyse("c'est quoi la politique de la ville selon la loi Lamy ?"), hits(other)).unnamed == ("Lamy",)


def test_a_short_article_of_an_official_text_is_quoted_whole() -> None:
    article = ("Dans les quartiers prioritaires, lorsque l'état de dégradation d'un ensemble commercial compromet la "
               "rénovation urbaine, le maire peut mettre en demeure les propriétaires de le réhabiliter.\n\n"
               "Si les propriétaires ne donnent pas suite, l'expropriation des locaux peut être engagée.\n\n"
               "Un décret en Conseil d'État précise les modalités d'application.")
    law = chunk(article, None, 1, title="Article L300-7", kind="texte officiel", source="cu.jsonl")
    question = "ensemble commercial dégradé dans un quartier prioritaire : que peut faire le maire ?"
    composition, _ = answer(question, hits(law))
    assert [q.block.text for q in composition.quotes] == article.split("\n\n")
    # a section of a fiche is quoted by its blocks that answer, not whole
    fiche = chunk(article, "Commerces", 2)
    composition, _ = answer(question, hits(fiche))
    assert len(composition.quotes) < 3
    # nor an article too long to be read whole
    long = Chunk(**{**law.__dict__, "text": article + "\n\n" + " ".join(["Une disposition transitoire."] * 60)})
    composition, _ = answer(question, hits(long))
    assert len(composition.quotes) < 3


def test_a_number_asked_for_is_a_number_of_what_the_question_counts() -> None:
    from assistant.compose import satisfies
    from assistant.units import Block

    definition = Block("paragraph", "Les quartiers prioritaires se caractérisent par deux éléments : un nombre "
                                    "minimal d'habitants et un critère de revenu.")
    criteria = Block("paragraph", "Un quartier prioritaire compte au moins 1 000 habitants.")
    petition = Block("paragraph", "Il faut un dixième des électeurs inscrits dans une commune.")
    assert satisfies(definition, "number") and not satisfies(definition, "number", "habit")
    assert satisfies(criteria, "number", "habit")
    assert satisfies(petition, "number", analyse("électeurs").tokens[0])
    found = hits(chunk(definition.text, "Définition", 1, title="Les QPV"),
                 chunk(criteria.text, "Critères", 2, title="Les QPV"))
    composition, _ = answer("Combien faut-il d'habitants au minimum pour être un QPV ?", found)
    assert composition.quotes[0].block.text == criteria.text


def test_a_section_headed_by_the_one_subject_the_question_names_comes_first() -> None:
    general = chunk("La loi NOTRe élargit les compétences obligatoires des communautés de communes et des "
                    "communautés d'agglomération.", "Compétences transférées", 1, title="La loi NOTRe")
    own = chunk("Elle exerce de plein droit des compétences obligatoires :\n- l'aménagement de l'espace ;\n"
                "- le développement économique.", "Communauté de communes", 2, title="Intercommunalités")
    composition, _ = answer("com com : quelles compétences obligatoires ?", hits(general, own))
    assert composition.quotes[0].block.text == own.text
    # two subjects named side by side: neither heading says which one the question is about
    composition, _ = answer("compétences obligatoires d'une com com et d'une agglo ?", hits(general, own))
    assert composition.quotes[0].block.text == general.text


def test_an_amount_in_euros_asked_for_is_not_a_rate() -> None:
    from assistant.compose import satisfies
    from assistant.units import Block

    rate = Block("paragraph", "Les crédits ne peuvent excéder 30 % du montant total des indemnités.")
    pay = Block("paragraph", "L'indemnité est de 1 200 euros par mois.")
    query = analyse("Combien gagne en euros par mois un vice-président d'agglo ?")
    assert query.expects == "amount" and query.counted == "euro"
    assert not satisfies(rate, "amount", query.counted) and satisfies(pay, "amount", query.counted)
    assert satisfies(rate, "amount")  # « quel taux » is answered by a rate


def test_the_premise_of_a_question_in_a_document_of_questions_is_raised_not_quoted() -> None:
    programme = ("Deuxième série de questions\n\nVers une nouvelle politique contractuelle ?\n\n"
                 "On peut avoir le sentiment que l'ingénierie territoriale se resserre sur le champ de la fonction "
                 "publique d'État ou territoriale.\n\nPartagez-vous ?\n\nQuel est sa direction ?")
    actes = chunk(programme, None, 1, title="Journée nationale du 11 décembre 2017", kind="actes",
                  source="actes/j.txt")
    question = "l'ingénierie territoriale se resserre sur la fonction publique d'État ou territoriale ?"
    composition, _ = answer(question, hits(actes))
    assert composition.raised_in is not None and not any("resserre" in q.block.text for q in composition.quotes)
    # in a fiche, one question among statements: the statement before it is an answer like any other
    fiche = chunk("L'ingénierie territoriale se resserre sur la fonction publique territoriale.\n\n"
                  "Faut-il s'en inquiéter ?\n\nLes effectifs ont crû de 10 % depuis 2015.\n\n"
                  "Les métiers de la médiation se développent.", "Évolutions", 2, title="Les métiers")
    composition, _ = answer(question, hits(fiche))
    assert composition.quotes and "se resserre" in composition.quotes[0].block.text


def test_a_list_that_leans_on_the_paragraph_before_it_is_quoted_with_it() -> None:
    text = ("La politique de la ville est une politique de cohésion urbaine et de solidarité.\n\n"
            "Elle vise, en tenant compte de la diversité des territoires, à :\n"
            "1° Lutter contre les concentrations de pauvreté ;\n2° Agir pour l'amélioration de l'habitat.")
    law = chunk(text + "\n\n" + " ".join(["Une disposition transitoire s'applique."] * 50), None, 1,
                title="Article 1", kind="texte officiel", source="loi/article-1.md")
    composition, (answer_text, *_rest) = answer("quels objectifs : concentrations de pauvreté, habitat ?", hits(law))
    quoted = [q.block.text for q in composition.quotes]
    assert quoted[:2] == [text.split("\n\n")[0], composition.quotes[1].block.text]
    assert composition.quotes[1].block.kind == "list" and quoted[1].startswith("Elle vise")
    from assistant.checks import orphan_start
    assert not orphan_start(answer_text, [law])


def test_a_short_article_with_a_leaning_list_quotes_each_block_once() -> None:
    text = ("La politique de la ville est une politique de cohésion urbaine et de solidarité.\n\n"
            "Elle vise, en tenant compte de la diversité des territoires, à :\n"
            "1° Lutter contre les concentrations de pauvreté ;\n2° Agir pour l'amélioration de l'habitat.\n\n"
            "Elle est conduite par l'État et les collectivités territoriales.")
    law = chunk(text, None, 1, title="Article 1", kind="texte officiel", source="loi/article-1.md")
    composition, _ = answer("quels objectifs : concentrations de pauvreté, habitat ?", hits(law))
    quoted = [q.block.text for q in composition.quotes]
    assert len(quoted) == len(set(quoted)) == 3 and quoted[0].startswith("La politique de la ville")
