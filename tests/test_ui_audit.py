"""Every UI request goes through the audited gateway: the served app (`service_app`), its UI handlers
called as gradio calls them (with a request), one audit row each, under the signed-in key's pseudonym."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Mount

from assistant.cli.admin import service_app
from assistant.ops.keys import KeyStore
from assistant.training.quiz import TOPICS

from .test_ui import QUESTION, REPLY

PROJECT = "Une caméra analyserait les émotions des agents d'accueil au travail pour mesurer leur stress."


class Served:
    """The app of `assistant serve` (API + UI in one process) and the UI's handlers by name."""

    def __init__(self, settings):
        self.app = service_app(settings, "127.0.0.1")
        self.ctx = self.app.state.ctx
        self.ctx.service.answerer.floor, self.ctx.service.answerer.strong = 0.0, 2.0  # fake embedder
        mount = next(r for r in self.app.routes if isinstance(r, Mount) and r.path == "/ui")
        blocks = mount.app.app.get_blocks()  # _LocalPage → gradio's App
        self.fns = {f.name: f.fn for f in blocks.fns.values()}
        self.log = self.ctx.audit

    def rows_after(self, before: int) -> list[dict]:
        return list(reversed(self.log.rows(50)))[before:]

    def ask(self, request, question=QUESTION) -> list:
        self.ctx.service.generator.enqueue(REPLY)
        return list(self.fns["on_ask"](question, request))

    def assess(self, request, text=PROJECT) -> list:
        return list(self.fns["on_assess"](text, "", "", "", "", "", request))

    def quiz(self, request) -> tuple:
        return self.fns["on_start"]([TOPICS[0].title], "les deux", 3, request)


@pytest.fixture()
def served(api_settings):
    made = []

    def factory(keys: tuple[str, ...] = ()):
        store = KeyStore(api_settings.keys_file)
        created = [store.create(role, "test") for role in keys]  # before start-up: the UI asks for a login
        s = Served(api_settings)
        made.append(s)
        return s, created

    yield factory
    for s in made:
        s.log.close()


def _metric(s: Served, **labels: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = s.ctx.metrics.exposition()[0].decode()
    return sum(
        x.value
        for fam in text_string_to_metric_families(text)
        for x in fam.samples
        if x.name == "assistant_requests_total" and all(x.labels.get(k) == v for k, v in labels.items())
    )


def test_an_assessment_in_the_ui_writes_exactly_one_row_and_the_chain_verifies(served):
    s, _ = served()
    before = s.log.count()
    updates = s.assess(SimpleNamespace(username=None))  # auth off: no login
    page, fiche, kept = updates[-1]  # kept: the assessment, for « Inscrire au registre »
    assert "Niveau de risque" in page and "fiche-evaluation.html" in fiche and kept["risk_level"]
    (row,) = s.rows_after(before)
    assert (row["endpoint"], row["user"], row["status"]) == ("UI /ui assess", "local", 200)
    assert row["answer_id"] and row["question"].startswith("Une caméra") and row["refs"]
    assert s.log.verify().ok
    assert _metric(s, channel="ui", operation="assess", status="200") == 1
    assert s.ctx.metrics.total("assistant_answers_total") == 1


def test_ask_feedback_and_quiz_in_the_ui_are_audited(served):
    s, _ = served()
    before = s.log.count()
    html, state, *_ = s.ask(SimpleNamespace(username=None))[-1]
    assert state["answer_id"] and "35 000 000" in html
    msg, _ = s.fns["on_useful"](state, "Clair, merci (a.b@cg13.fr)", SimpleNamespace(username=None))
    assert "enregistré" in msg
    st, page, *_ = s.quiz(SimpleNamespace(username=None))
    assert st["items"] and "Question 1 sur" in page
    rows = s.rows_after(before)
    assert [(r["endpoint"], r["status"], r["user"]) for r in rows] == [
        ("UI /ui ask", 200, "local"),
        ("UI /ui feedback", 201, "local"),
        ("UI /ui quiz", 200, "local"),
    ]
    assert rows[0]["answer_id"] == state["answer_id"] == rows[1]["answer_id"]
    assert s.log.feedback()[0]["comment"] == "Clair, merci ([EMAIL])"
    assert len(rows[2]["refs"]) == len(st["items"]) and TOPICS[0].slug in rows[2]["question"]
    # answering the quiz happens in the session state: no request, no row
    s.fns["on_answer"](st, None)
    assert s.log.count() == before + 3 and s.log.verify().ok


def test_with_auth_on_ui_requests_carry_the_keys_pseudonym_never_local(served):
    s, [(agent, _raw), (admin, _raw_admin)] = served(("agent", "admin"))
    before = s.log.count()
    who = SimpleNamespace(username=agent.id)
    s.assess(who)
    s.ask(who)
    s.quiz(who)
    page = s.fns["status"](SimpleNamespace(username=admin.id))  # the admin tab: reads are requests too
    assert "État de l&#x27;index" in page and "retention_days" in page
    denied = s.fns["status"](who)
    assert "réservée au rôle administrateur" in denied
    rows = s.rows_after(before)
    assert [r["endpoint"] for r in rows] == ["UI /ui assess", "UI /ui ask", "UI /ui quiz", "UI /ui admin status"]
    pseudo = s.log.pseudonym(agent.id)
    assert [r["user"] for r in rows[:3]] == [pseudo] * 3 and rows[3]["user"] == s.log.pseudonym(admin.id)
    assert all(r["user"] != "local" and agent.id not in r["user"] for r in rows)
    assert s.log.verify().ok


def test_a_key_revoked_after_login_is_refused_and_the_refusal_audited(served):
    s, [(agent, _raw)] = served(("agent",))
    KeyStore(s.ctx.settings.keys_file).revoke(agent.id)
    before = s.log.count()
    page, fiche, kept = s.assess(SimpleNamespace(username=agent.id))[-1]
    assert "révoquée" in page and not fiche and kept is None
    (row,) = s.rows_after(before)
    assert (row["endpoint"], row["status"], row["user"]) == ("UI /ui assess", 401, s.log.pseudonym(agent.id))


def test_the_api_and_the_ui_share_one_trail_and_one_metrics_registry(served):
    s, _ = served()
    with TestClient(s.app, client=("127.0.0.1", 50000)) as c:
        s.ctx.service.generator.enqueue(REPLY)
        assert c.post("/v1/ask", json={"question": QUESTION}).status_code == 200
        s.ask(SimpleNamespace(username=None))
        rows = s.log.rows(2)
        assert [r["endpoint"] for r in reversed(rows)] == ["POST /v1/ask", "UI /ui ask"]
        metrics = c.get("/metrics").text
    assert 'assistant_requests_total{channel="ui",operation="ask",status="200"} 1.0' in metrics
    assert 'assistant_requests_total{channel="api",operation="ask",status="200"} 1.0' in metrics
