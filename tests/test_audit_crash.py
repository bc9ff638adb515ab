"""A real uvicorn server (fake embedder, scripted LLM): SIGKILLed during a stream of requests, no
received response lacks its audit row and the chain and SQLite integrity hold; slow clients do
not stall the others; the server's own log holds no API key nor personal data.

The long variant is `make soak-audit` (bench/audit_soak.py, 30 kills)."""

from __future__ import annotations

import importlib.util
import socket
import sys
import threading

import httpx
import pytest

from assistant.base.settings import PROJECT_ROOT


def _load_soak():
    spec = importlib.util.spec_from_file_location("audit_soak", PROJECT_ROOT / "bench" / "audit_soak.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_soak"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


soak = _load_soak()


def test_sigkill_during_requests_loses_no_received_row(fake_index_dir, corpus, tmp_path):
    report, log_path, raw = soak.soak(fake_index_dir, tmp_path / "soak", kills=3, clients=3, corpus_dir=corpus)
    assert report.kills == 3 and report.received >= 15  # between 5 and 25 responses per run, three runs
    assert report.lost == [], report.as_dict()
    assert report.chain_ok and report.integrity_ok, report.details
    assert report.rows >= report.received
    server_log = log_path.read_text(encoding="utf-8", errors="replace")
    assert "POST /v1/ask" in server_log  # the access log is there…
    assert raw not in server_log and raw[5:20] not in server_log  # …without the key


def test_harness_detects_a_missing_row(tmp_path):
    """The check itself can fail: a received answer with no row is reported as lost."""
    from assistant.ops.audit import AuditLog

    db = tmp_path / "audit.sqlite3"
    log = AuditLog(db)
    log.record(user="u", endpoint="POST /v1/ask", status=200, question="q jeton-a-1", answer_id="id-1")
    log.close()
    report = soak.SoakReport()
    soak.check_audit(db, [soak.Received("jeton-a-1", "id-1"), soak.Received("jeton-a-2", "id-2")], report)
    assert report.lost == ["id-2", "jeton-a-2"] and report.chain_ok and report.integrity_ok


@pytest.fixture()
def server(fake_index_dir, corpus, tmp_path):
    env = soak.server_env(fake_index_dir, tmp_path / "var", corpus)
    srv = soak.Server(env, tmp_path / "server.log")
    srv.start()
    yield srv
    srv.stop()


def test_slow_clients_do_not_stall_the_others(server):
    """Slowloris: many connections that send half a request (headers, or a body) and then wait."""
    pii = "jean.dupont@orange.fr"
    socks = []
    for i in range(40):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        if i % 2:  # headers never finished
            s.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: ")
        else:  # a body announced and never sent
            s.sendall(
                b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
                + b'{"question": "'
            )
        socks.append(s)
    results: list[int] = []

    def ask(n: int) -> None:
        # A generous timeout guards against a hang; it measures nothing.
        r = httpx.post(server.url + "/v1/ask", json={"question": f"Quelle amende ? {pii} {n}"}, timeout=120)
        results.append(r.status_code)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert sorted(results) == [200, 200, 200, 200]
    assert httpx.get(server.url + "/v1/documents", timeout=120).status_code == 200
    for s in socks:
        s.close()
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    assert pii not in log and "jean.dupont" not in log


def test_key_in_the_url_is_masked_in_the_access_log(server):
    from assistant.base.settings import Settings
    from assistant.ops.keys import KeyStore

    keys = KeyStore(Settings.load(var_dir=server.env["ASSISTANT_VAR_DIR"]).keys_file)
    _, raw = keys.create("agent", "url")
    r = httpx.get(server.url + "/v1/documents", params={"api_key": raw}, timeout=60)
    assert r.status_code == 401  # keys are only read from headers
    assert httpx.get(server.url + "/v1/documents", headers={"X-API-Key": raw}, timeout=60).status_code == 200
    server.stop()  # flush the log
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    assert "api_key=cd13_***" in log and raw not in log and raw[5:20] not in log
