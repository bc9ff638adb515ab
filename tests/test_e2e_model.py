"""End to end with the real EmbeddingGemma and the real Qwen GGUF on a corpus slice.

Marked `model` (needs the verified weights: `assistant models fetch`). Every socket
to a non-loopback address is refused during indexing and answering: the assistant
must work, and did not try to reach any network.
"""

from __future__ import annotations

import pytest

from assistant.assess import riskmap as rm
from assistant.base.errors import ModelError
from assistant.base.settings import Settings

from .netguard import OutboundAttemptError, loopback_only
from .slice_index import build_slice

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def e2e(tmp_path_factory, corpus):
    from assistant.core.service import Service
    from assistant.search.embed import make_embedder
    from assistant.search.index import load_index

    settings = Settings.load(embedder="embeddinggemma", llm="llm-1.5b", corpus_dir=str(corpus))
    index_dir = tmp_path_factory.mktemp("e2e-index")
    with loopback_only() as attempts:
        try:
            embedder = make_embedder(settings)
        except ModelError as exc:
            pytest.skip(f"modèle absent : {exc}")
        build_slice(index_dir, corpus, embedder)
        svc = Service(settings, embedder=embedder, index=load_index(index_dir))
        svc.generator  # noqa: B018 - load the GGUF under the guard too
    assert attempts == []
    return svc


@pytest.mark.parametrize(
    ("question", "ref", "needles"),
    [
        ("Quelle amende risque-t-on pour une pratique d'IA interdite ?", "art-99-3", ["35 000 000"]),
        ("Le Département peut-il utiliser la notation sociale pour attribuer des aides ?", "art-5-1-c", ["interdit"]),
        ("Un outil qui évalue l'éligibilité aux aides sociales est-il à haut risque ?", "annex-iii-5", ["haut risque"]),
        ("Qui doit informer les personnes qu'elles interagissent avec un système d'IA ?", "art-50-1", ["interagi"]),
    ],
)
def test_real_answers_cite_the_right_provision(e2e, question, ref, needles):
    with loopback_only() as attempts:
        out = e2e.ask(question).to_json()
    assert attempts == []
    assert not out["abstained"], out["answer"]
    assert out["ai_generated"] is True
    refs = [c["ref"] for c in out["citations"] if c["doc_id"] == "ai-act"]
    assert any(r == ref or r.startswith(ref + "-") for r in refs), (refs, out["answer"])
    for needle in needles:
        assert needle in out["answer"].lower() or needle in out["answer"], out["answer"]
    for c in out["citations"]:
        assert c["quote"] and c["quote"] in "\n".join(x.text for x in e2e.index.chunks if x.doc_id == c["doc_id"])
    assert out["model"]["llm"].startswith("qwen2.5-coder-1.5b")
    assert out["energy"]["wh"] > 0


@pytest.mark.parametrize(
    "question",
    ["Quel temps fera-t-il demain à Marseille ?", "Comment réinitialiser mon mot de passe Outlook ?"],
)
def test_real_abstention_out_of_corpus(e2e, question):
    with loopback_only():
        out = e2e.ask(question).to_json()
    assert out["abstained"] is True, out["answer"]
    assert out["citations"] == []


def test_guard_really_refuses_outbound_connections():
    import socket

    with loopback_only() as attempts, pytest.raises(OutboundAttemptError):
        socket.create_connection(("192.0.2.10", 443), timeout=1)
    assert attempts


def test_real_assessment_facts_fast_decoding_agrees_with_token_by_token(e2e):
    """The enum-only facts JSON decoded by backends/choice.py (fixed text in batches, values chosen from
    the greedy logits) against llama.cpp's token-by-token grammar, on the real GGUF: both valid, mostly
    the same values, and the served assessment uses it end to end."""
    from assistant.assess.assessor import MODEL_FIELDS

    text = "Un logiciel trierait les CV des candidats à nos offres d'emploi et transmettrait les meilleurs au jury."
    gen = e2e.generator
    read = {}
    try:
        for fast in (True, False):
            gen.fast_enums = fast
            tokens = {"prompt": 0, "completion": 0, "cached": 0}
            facts, status, _ = e2e.assessor._read_facts(text, tokens, list(MODEL_FIELDS))
            assert facts is not None and status.startswith("valide"), status
            read[fast] = facts
    finally:
        del gen.fast_enums  # back to the class default
    same = sum(read[True].get(k) == read[False].get(k) for k in read[False])
    assert same >= 0.75 * len(read[False]), (read[True], read[False])
    out = e2e.assess(text).to_json()
    assert out["risk_level"] == "high-risk" and out["extraction"]["model"].startswith(("valide", "non appelé"))
    assert "annex-iii-4-a" in [g["id"] for g in out["grounds"]]


def test_real_judge_of_a_cued_practice_reads_a_plain_statement_and_leaves_a_plain_use(e2e):
    """The real 1.5B model through the product path: a description that states the practice in plain
    words is judged « oui »; an ordinary use that only brushes a cue is not."""
    out = e2e.assess(
        "Projet FSL : à partir des impayés de loyer, l'outil repère les ménages au bord de la rupture et leur "
        "pousse, au moment où ils sont le plus en difficulté, une offre de crédit renouvelable d'un partenaire."
    ).to_json()
    assert out["extraction"].get("judged", {}).get("exploitation_vulnerabilites", {}).get("oui") is True, out[
        "extraction"
    ]
    assert out["risk_level"] == "prohibited"
    plain = e2e.assess(
        "Un outil aiderait les conseillers à repérer les personnes âgées isolées pour leur proposer une visite "
        "gratuite de convivialité par un bénévole."
    ).to_json()
    assert plain["risk_level"] != "prohibited"


def test_real_vague_use_near_a_practice_is_kept_open_and_a_plain_task_is_not(e2e):
    """The real models: a vague use close in meaning to art. 5(1)(b) (no cue: under the sense threshold)
    is judged and not set aside, so it stays open with the practice's question, never « minimal »;
    a plain clerical task keeps « minimal »."""
    vague = e2e.assess("Nous aimerions une IA pour mieux accompagner les personnes âgées.").to_json()
    judged = vague["extraction"].get("judged", {}).get("exploitation_vulnerabilites", {})
    assert judged.get("indice", "").startswith("aucun") and judged.get("oui") is True, vague["extraction"]
    # open: never low, never established; the level itself moves with the model's other readings
    # (the prompt canary of the installation: « à préciser » here, « haut risque » on a fresh clone)
    assert vague["risk_level"] in ("undetermined", "high-risk"), vague["fact_sources"]
    assert vague["facts"]["exploitation_vulnerabilites"] != "oui"
    assert rm.FACTS["exploitation_vulnerabilites"].question in vague["to_clarify"]
    plain = e2e.assess("Un outil classerait automatiquement les courriers entrants par service destinataire.").to_json()
    assert plain["risk_level"] == "minimal", plain["fact_sources"]


def test_real_two_turn_conversation_keeps_the_thread(e2e):
    """A first question, then « Et depuis quand ? »: the follow-up is understood from the first
    turn, answered by the real model, and cites the schedule (article 113) without the fines."""
    from assistant.core.conversation import ConversationStore, converse

    store = ConversationStore()
    conv = store.new("e2e")
    with loopback_only() as attempts:
        first = converse(e2e, [], "Quelles pratiques d'IA sont interdites par l'article 5 ?")
        out1 = {**first.response.to_json(), **first.fields(conv)}
        conv.add(first.turn(out1))
        second = converse(e2e, list(conv.turns), "Et depuis quand ?")
        out2 = second.response.to_json()
    assert attempts == []
    assert not out1["abstained"] and any(c["ref"].startswith("art-5") for c in out1["citations"])
    assert second.resolution.followup and "interdites" in second.resolution.understood
    assert not out2["abstained"] and any(c["ref"].startswith("art-113") for c in out2["citations"])
    assert "2025" in out2["answer"]
