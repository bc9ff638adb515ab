"""Where conversations live: the same bounds (turns, number, age) and the same owner check in memory
(the default) and in PostgreSQL (ASSISTANT_DATABASE_URL; a real server, tests/pgserver.py, skipped
with the reason when absent); with PostgreSQL, a conversation opened through one worker goes on
through another (two stores, two connection pools, one database), and expired rows are deleted."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from assistant.answer.followup import Turn, sanitised
from assistant.backends.fake import ScriptedGenerator
from assistant.base.errors import RefusedError
from assistant.base.settings import Settings
from assistant.core.conversation import ConversationStore
from assistant.core.service import Service
from assistant.core.stores import open_conversations
from assistant.web.api import create_app

LOCAL = ("127.0.0.1", 50000)
FIRST = "Un outil qui trie les demandes d'aide sociale est-il à haut risque ?"


def _turn(question: str, **kw) -> Turn:
    return Turn(question, question, sanitised(question), **kw)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _pg_store(url: str, **kw):
    from assistant.core.conversation_pg import PgConversationStore
    from assistant.ops.db import database

    return PgConversationStore(database(url), **kw)


@pytest.fixture(params=["memory", "postgresql"])
def make_store(request):
    """A factory of stores of one backend (each PostgreSQL one on the same fresh database)."""
    if request.param == "memory":
        return ConversationStore
    url = request.getfixturevalue("pg_url")
    return lambda **kw: _pg_store(url, **kw)


def test_store_is_bounded_in_turns_number_and_age_and_owned(make_store):
    clock = Clock()
    store = make_store(max_conversations=3, ttl_s=60, clock=clock)
    conv = store.new("alice")
    for i in range(20):
        store.add(conv, _turn(f"Question {i} ?"))
    assert len(conv.turns) == 8 and conv.count == 20 and conv.turns[0].question == "Question 12 ?"
    with pytest.raises(RefusedError) as e:
        store.get("bob", conv.id)  # another user's conversation: unknown to them
    assert e.value.status == 404 and "inconnue" in str(e.value)
    again = store.get("alice", conv.id)
    assert (again.id, again.owner, again.count, list(again.turns)) == (conv.id, "alice", 20, list(conv.turns))
    others = [store.new("alice") for _ in range(3)]
    assert len(store) == 3
    with pytest.raises(RefusedError):
        store.get("alice", conv.id)  # the least recently used went first
    clock.now += 61.0
    with pytest.raises(RefusedError):
        store.get("alice", others[-1].id)  # expired
    assert len(store) == 0


def test_a_use_keeps_a_conversation_alive_and_forget_is_the_owners(make_store):
    clock = Clock()
    store = make_store(ttl_s=60, clock=clock)
    conv = store.new("alice")
    clock.now += 50
    store.add(conv, _turn(FIRST))  # answered 50 s later: used
    clock.now += 50
    assert store.get("alice", conv.id).count == 1  # 100 s after its opening, 50 s after its last use
    assert store.forget("bob", conv.id) is False
    assert store.forget("alice", conv.id) is True and store.forget("alice", conv.id) is False
    with pytest.raises(RefusedError):
        store.get("alice", conv.id)
    store.add(conv, _turn("Depuis quand ?"))  # forgotten while answering: not kept again
    assert len(store) == 0


def test_turns_come_back_as_they_were_kept(make_store):
    store = make_store()
    turns = [
        _turn(FIRST, answer_id="a1", refs=("ai-act:annex-iii-5-a",), labels=("annexe III, point 5 a)",),
              verdict="haut-risque"),
        _turn("Décrivez l'outil", kind="assess", description="Un outil qui trie", level="high-risk",
              facts={"domaine": ["emploi_rh"], "decision_automatisee": "aide"}, grounds=("annex-iii-4-a",)),
    ] + [_turn(f"Question {i} ?", abstained=True) for i in range(9)]  # fmt: skip
    conv = store.new("alice", turns)  # an explicit history: its last turns kept
    got = store.get("alice", conv.id)
    assert got.count == 11 and list(got.turns) == turns[-8:]
    store.add(got, turns[1])
    assert list(store.get("alice", conv.id).turns) == [*turns[-7:], turns[1]]


def test_open_conversations_follows_the_settings(tmp_path, request):
    assert isinstance(open_conversations(Settings.load(var_dir=str(tmp_path), database_url="")), ConversationStore)
    url = request.getfixturevalue("pg_url")
    store = open_conversations(Settings.load(var_dir=str(tmp_path), database_url=url))
    assert type(store).__name__ == "PgConversationStore"


# ---------------------------------------------------------------- PostgreSQL: several workers


def test_a_conversation_opened_on_one_worker_goes_on_on_another(pg_url):
    """Two stores with two connection pools (two workers, two machines) on one database."""
    from assistant.core.conversation_pg import PgConversationStore
    from assistant.ops.db import Database

    pools = [Database(pg_url), Database(pg_url)]
    a, b = PgConversationStore(pools[0]), PgConversationStore(pools[1])
    try:
        conv = a.new("alice")
        a.add(conv, _turn(FIRST, refs=("ai-act:annex-iii-5-a",)))
        on_b = b.get("alice", conv.id)
        assert [t.question for t in on_b.turns] == [FIRST] and on_b.turns[0].refs == ("ai-act:annex-iii-5-a",)
        b.add(on_b, _turn("Depuis quand ?"))
        back = a.get("alice", conv.id)
        assert back.count == 2 and [t.question for t in back.turns] == [FIRST, "Depuis quand ?"]
        with pytest.raises(RefusedError):
            b.get("bob", conv.id)
        # two turns of one conversation answered at once by two workers: both kept
        x, y = a.get("alice", conv.id), b.get("alice", conv.id)
        threads = [
            threading.Thread(target=s.add, args=(c, _turn(q)))
            for s, c, q in ((a, x, "Et la charte ?"), (b, y, "Et si un agent valide ?"))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        final = b.get("alice", conv.id)
        assert final.count == 4
        assert {t.question for t in list(final.turns)[2:]} == {"Et la charte ?", "Et si un agent valide ?"}
        assert b.forget("alice", conv.id)
        with pytest.raises(RefusedError):
            a.get("alice", conv.id)
    finally:
        for pool in pools:
            pool.close()


def test_expired_conversations_are_deleted_from_the_database(pg_url):
    """Turns hold the questions as typed: an expired conversation leaves no row behind."""
    import psycopg

    clock = Clock()
    store = _pg_store(pg_url, ttl_s=60, clock=clock)
    old = store.new("alice", [_turn("Je suis Mme Martin (martin.j@cg13.fr) : quelle amende ?")])
    clock.now += 61
    fresh = store.new("bob")  # any later use purges the expired rows
    with psycopg.connect(pg_url) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM conversations").fetchall()]
        text = str(conn.execute("SELECT turns FROM conversations").fetchall())
    assert ids == [fresh.id] and old.id not in ids and "martin.j" not in text


@pytest.fixture()
def two_workers(fake_index_dir, corpus, tmp_path, pg_url):
    """Two API apps (two workers: their own context, gateway and conversation store) on one database."""
    settings = Settings.load(
        embedder="fake",
        llm="fake",
        index_dir=str(fake_index_dir),
        corpus_dir=str(corpus),
        var_dir=str(tmp_path / "var"),
        database_url=pg_url,
        rate_per_minute=1_000_000,
    )
    clients = []
    for _ in range(2):
        service = Service(settings, generator=ScriptedGenerator())
        service.answerer.floor, service.answerer.strong = 0.0, 2.0  # fake embedder: no calibrated abstention
        clients.append(TestClient(create_app(settings, service), client=LOCAL, raise_server_exceptions=False))
    yield clients
    for c in clients:
        c.close()


def test_a_followup_reaching_another_worker_keeps_the_thread(two_workers):
    a, b = two_workers
    assert a.app.state.ctx.gateway.conversations is not b.app.state.ctx.gateway.conversations
    r1 = a.post("/v1/ask", json={"question": FIRST}).json()
    cid = r1["conversation_id"]
    r2 = b.post("/v1/ask", json={"question": "Depuis quand ?", "conversation_id": cid}).json()
    assert r2["conversation_id"] == cid and r2["turn"] == 2 and r2["followup"] is True
    assert "aide sociale" in r2["understood_question"]
    r3 = a.post("/v1/ask", json={"question": "Et la charte, qu'en dit-elle ?", "conversation_id": cid}).json()
    assert r3["turn"] == 3
    rows = b.app.state.ctx.audit.rows(3)  # one audit chain for both workers, each turn with its conversation
    assert [r["conversation_id"] for r in rows] == [cid] * 3 and b.app.state.ctx.audit.verify().ok
    assert b.delete(f"/v1/conversations/{cid}").status_code == 204
    gone = a.post("/v1/ask", json={"question": "Et alors ?", "conversation_id": cid})
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
