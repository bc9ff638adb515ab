"""The CNIL's texts in the corpus: the real parser on both files, licence and nature on every
citation and search result, binding texts first in answers."""

from __future__ import annotations

import json
from typing import ClassVar

import pytest

from assistant.answer.compose import Answerer, Evidence, ModelReply
from assistant.answer.precedence import attributions, grouped
from assistant.base.units import Chunk
from assistant.ingest.corpus import load_manifest
from assistant.ingest.parse_webtext import parse_webtext, slug

FAQ = "cnil-ia-generative-faq-2024.fr.txt"
SHEET = "cnil-ia-annoter-les-donnees-2025.fr.txt"
CC = "CC BY-ND 4.0 FR"


def _faq(corpus):
    return parse_webtext(corpus / FAQ, doc_id="cnil-ia-generative-faq", lang="fr", short="CNIL, FAQ IA générative")


def test_faq_parsed_into_its_ten_questions(corpus):
    units = _faq(corpus)
    assert [u.ref for u in units] == ["intro"] + [f"question-{n}" for n in range(1, 11)]
    q5 = next(u for u in units if u.ref == "question-5")
    assert (
        q5.label
        == "CNIL, FAQ IA générative, question 5 : Quel mode de déploiement privilégier (on premise, API, cloud) ?"
    )
    assert q5.title == "Quel mode de déploiement privilégier (on premise, API, cloud) ?"
    # verbatim: list items keep their dash, the date line is metadata, not text
    q1 = next(u for u in units if u.ref == "question-1")
    assert "\n- Le retraitement de contenus préexistants (tel que la correction ou la traduction de textes)," in q1.text
    assert not any(line == "18 juillet 2024" for u in units for line in u.text.split("\n"))
    assert units[0].text.startswith("De nombreuses organisations envisagent")
    raw = (corpus / FAQ).read_text(encoding="utf-8")
    for u in units:  # every paragraph of every unit is a line of the page, unchanged
        for para in u.text.split("\n"):
            assert para in raw, para[:60]


def test_annotation_sheet_sections_and_subsections(corpus):
    units = parse_webtext(corpus / SHEET, doc_id="cnil-ia-annoter-donnees", lang="fr", short="CNIL, fiche")
    sections = [u for u in units if u.kind == "section" and u.ref != "intro"]
    subsections = [u for u in units if u.kind == "subsection"]
    assert len(sections) == 4 and len(subsections) == 4  # the page's « ## » and « ### » lines
    assert "garantir-la-qualite-de-l-annotation" in {u.ref for u in sections}
    minimisation = next(u for u in subsections if u.ref == "le-principe-de-minimisation")
    assert minimisation.parent == slug("Les enjeux de l’annotation pour les droits et libertés des personnes")
    assert minimisation.label == "CNIL, fiche, « Le principe de minimisation »"
    assert "article 5.1.c du RGPD" in minimisation.text


def test_manifest_declares_the_cnil_texts_with_licence_and_nature():
    from assistant.base.settings import PROJECT_ROOT

    docs = {d.doc_id: d for d in load_manifest(PROJECT_ROOT / "corpus" / "sources.toml")}
    for doc_id in ("cnil-ia-generative-faq", "cnil-ia-annoter-donnees"):
        d = docs[doc_id]
        assert d.kind == "web-text" and d.licence == CC and d.nature == "recommandation"
        assert d.url.startswith("https://www.cnil.fr/")
    assert docs["ai-act"].nature == "reglement" and docs["charte"].nature == "departement"


def test_search_results_and_citations_carry_licence_url_and_nature(fake_settings):
    from assistant.backends.fake import ScriptedGenerator
    from assistant.core.service import Service

    reply = json.dumps(
        {"trouve": True, "reponse": "La CNIL recommande un déploiement sur site.", "sources": [1]}, ensure_ascii=False
    )
    svc = Service(fake_settings, generator=ScriptedGenerator([reply]))
    out = svc.search("mode de déploiement on premise API cloud", k=10, docs=["cnil-ia-generative-faq"])
    hit = next(r for r in out["results"] if r["ref"] == "question-5")
    assert hit["licence"] == CC and hit["nature"] == "recommandation"
    assert (
        hit["url"]
        == "https://www.cnil.fr/fr/les-questions-reponses-de-la-cnil-sur-lutilisation-dun-systeme-dia-generative"
    )
    svc.answerer.floor, svc.answerer.strong = 0.0, 2.0  # fake embedder: no calibrated abstention
    answer = svc.ask("Selon la CNIL, quel mode de déploiement privilégier : on premise, API ou cloud ?").to_json()
    cnil = [c for c in answer["citations"] if c["doc_id"].startswith("cnil-")]
    assert cnil, answer["answer"]
    for c in cnil:
        assert c["licence"] == CC and c["url"].startswith("https://www.cnil.fr/") and c["nature"] == "recommandation"
        assert c["label"].startswith("CNIL, ")
    for c in answer["citations"]:
        if c["doc_id"].startswith("ai-act"):
            assert c["licence"] is None and c["nature"] == "reglement"
    assert f"licence {CC} ; passages cités à l'identique" in answer["answer"]
    assert "Texte applicable — recommandation d'une autorité de régulation :" in answer["answer"]


def _chunk(doc_id: str, ref: str, text: str) -> Chunk:
    return Chunk(doc_id, ref, f"{doc_id}, {ref}", "", text, "", "fr", "v")


class _Sources:
    """An index with two documents of different natures (what composition asks of it)."""

    embedder_name = ""
    corpus_version = ""
    chunks: ClassVar[list] = []
    meta: ClassVar[dict] = {
        "ai-act": {"doc_id": "ai-act", "nature": "reglement", "short": "AI Act"},
        "cnil-faq": {"doc_id": "cnil-faq", "nature": "recommandation", "licence": CC, "short": "CNIL, FAQ",
                     "url": "https://www.cnil.fr/fr/faq"},
    }  # fmt: skip

    def url(self, doc_id, ref=""):
        return self.meta[doc_id].get("url")

    def aliases(self):
        return []

    def source(self, doc_id):
        return self.meta.get(doc_id, {})


def test_binding_text_quoted_first_and_each_group_named():
    advice = _chunk("cnil-faq", "question-7", "La CNIL recommande de former les utilisateurs finaux.")
    law = _chunk("ai-act", "art-4", "Les déployeurs prennent des mesures pour garantir la maîtrise de l'IA.")
    evidence = [Evidence(1, advice, 0, len(advice.text)), Evidence(2, law, 0, len(law.text))]
    body = Answerer(lambda q, k: None, lambda: None, _Sources())._compose(
        "Faut-il former les agents ?", evidence, None, ModelReply(valid=True)
    )
    text = body.text
    binding = text.index("Texte applicable — texte contraignant (règlement européen) :")
    advice_at = text.index("Texte applicable — recommandation d'une autorité de régulation :")
    assert binding < advice_at < text.index("Source : CNIL, FAQ, https://www.cnil.fr/fr/faq — licence CC BY-ND 4.0 FR")
    assert f"« {advice.text} »" in text  # verbatim
    by_doc = {c.doc_id: c for c in body.citations}
    assert by_doc["ai-act"].n == 1 and by_doc["cnil-faq"].n == 2  # renumbered in the order shown
    assert by_doc["cnil-faq"].licence == CC and by_doc["ai-act"].licence is None


def test_grouping_and_attributions_helpers():
    items = [("b", "recommandation"), ("a", "reglement"), ("c", None), ("d", "recommandation")]
    assert [(k, [i[0] for i in g]) for k, g in grouped(items, lambda i: i[1])] == [
        ("reglement", ["a"]),
        ("recommandation", ["b", "d"]),
        ("autre", ["c"]),
    ]
    lines = attributions([{"doc_id": "x", "short": "X", "licence": "Licence Ouverte 2.0"}, {"doc_id": "y"}])
    assert lines == ["Source : X — licence Licence Ouverte 2.0."]


@pytest.mark.parametrize("bad", ["règlement", "loi"])
def test_unknown_nature_refused_in_manifest(tmp_path, bad):
    from assistant.base.errors import CorpusError

    m = tmp_path / "sources.toml"
    m.write_text(
        f'[[document]]\ndoc_id="x"\ntitle="X"\nlang="fr"\nkind="text"\nfile="x.txt"\nsha256=""\nversion="1"\n'
        f'date="2025-01-01"\nnature="{bad}"\n',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match="nature"):
        load_manifest(m)


def test_assessment_quotes_the_cnil_advice_after_the_obligations(fake_settings):
    from assistant.assess.recommendations import HEADING
    from assistant.core.service import Service

    svc = Service(fake_settings)
    out = svc.assess_by_keywords(
        "Un agent conversationnel d'IA générative répondra aux usagers sur les aides sociales à partir de "
        "leurs dossiers personnels."
    ).to_json()
    recs = out["recommendations"]
    assert [r["citations"][0]["ref"] for r in recs] == ["question-5", "question-6", "question-7", "question-9"]
    text = out["answer"]
    assert text.index("Obligations du Département :") < text.index(HEADING) < text.index("Décision :")
    assert "Source : CNIL, FAQ IA générative, https://www.cnil.fr/" in text
    faq = [c for c in svc.index.chunks if c.doc_id == "cnil-ia-generative-faq"]
    for r in recs:
        c = r["citations"][0]
        assert c["licence"] == CC and c["nature"] == "recommandation"
        assert any(c["quote"] in x.text for x in faq if x.ref == c["ref"])  # verbatim
    # binding texts keep the first numbers: the CNIL's come after every AI Act and charter citation
    first_cnil = min(c["n"] for c in out["citations"] if c["doc_id"].startswith("cnil-"))
    assert all(c["n"] < first_cnil for c in out["citations"] if not c["doc_id"].startswith("cnil-"))
    prohibited = svc.assess_by_keywords(
        "Nous voudrions équiper les postes de l'accueil du public d'une caméra qui analyse les expressions du "
        "visage des agents pour détecter leur stress ou leur agacement, et alerter leur encadrant."
    ).to_json()
    assert prohibited["risk_level"] == "prohibited" and prohibited["recommendations"] == []
