"""The inference pool (backends/openai_http.py) against mock upstreams: choice, failover, structured output.

The same client against two real llama.cpp servers, one of them killed mid-run: tests/test_scale.py.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading

import httpx
import pytest

from assistant.backends.openai_http import OpenAIHTTPGenerator, split_urls
from assistant.base.errors import BackendError

A, B = "http://a:8080/v1", "http://b:8080/v1"
MSG = [{"role": "user", "content": "q"}]


def _events(*pieces: str) -> list[bytes]:
    out = [f"data: {json.dumps({'choices': [{'delta': {'content': p}}]})}\n\n".encode() for p in pieces]
    usage = {"choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": len(pieces)}}
    return [*out, f"data: {json.dumps(usage)}\n\n".encode(), b"data: [DONE]\n\n"]


class Cut(httpx.SyncByteStream):
    """An event stream that dies after `keep` events (the server was killed)."""

    def __init__(self, events: list[bytes], keep: int):
        self.events, self.keep = events, keep

    def __iter__(self):
        yield from self.events[: self.keep]
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _pool(handler, clock=None, urls=(A, B)) -> OpenAIHTTPGenerator:
    return OpenAIHTTPGenerator(
        list(urls), "m", client=httpx.Client(transport=httpx.MockTransport(handler)), clock=clock or Clock()
    )


def _host(request: httpx.Request) -> str:
    return request.url.host


def test_urls_are_split_and_deduplicated():
    assert split_urls(f" {A}/ ,{B},,{A}") == [A, B]
    assert _pool(lambda r: httpx.Response(200)).name == "m@2 serveurs"


def test_requests_go_to_the_least_busy_upstream():
    seen: list[str] = []

    def handler(request):
        seen.append(_host(request))
        return httpx.Response(200, content=b"".join(_events("un", " deux")))

    gen = _pool(handler)
    first = gen.stream(MSG, max_tokens=5)
    assert next(first) == "un"  # in flight on one upstream
    second = "".join(gen.stream(MSG, max_tokens=5))  # goes to the other one
    assert second == "un deux" and seen[0] != seen[1]
    assert "".join(first) == " deux"
    states = {s["url"]: s for s in gen.status()}
    assert all(s["served"] == 1 and s["in_flight"] == 0 and s["up"] for s in states.values())
    assert gen.usage.prompt_tokens == 10 and gen.usage.completion_tokens == 2


def test_a_failed_upstream_is_skipped_then_retried_later():
    down = {"a"}
    seen: list[str] = []

    def handler(request):
        seen.append(_host(request))
        if _host(request) in down:
            raise httpx.ConnectError("connection refused")
        return httpx.Response(200, content=b"".join(_events("ok")))

    clock = Clock()
    gen = _pool(handler, clock)
    assert [("".join(gen.stream(MSG, max_tokens=5))) for _ in range(3)] == ["ok"] * 3
    assert seen == ["a", "b", "b", "b"]  # a failed once, then skipped while marked down
    a = gen.status()[0]
    assert not a["up"] and a["failures"] == 1 and "ConnectError" in a["last_error"]
    clock.now += 60  # past the retry delay: a is tried again, and serves once it is back
    down.clear()
    seen.clear()
    assert "".join(gen.stream(MSG, max_tokens=5)) == "ok"
    assert seen == ["a"] and gen.status()[0]["up"]


def test_an_upstream_dying_mid_answer_is_replaced_without_repeating_text():
    full = _events("Le ", "déployeur ", "informe ", "les ", "personnes.")

    def handler(request):
        if _host(request) == "a":
            return httpx.Response(200, stream=Cut(full, keep=2))
        return httpx.Response(200, content=b"".join(full))

    gen = _pool(handler)
    pieces = list(gen.stream(MSG, max_tokens=20))
    assert "".join(pieces) == "Le déployeur informe les personnes."
    assert pieces[:2] == ["Le ", "déployeur "]  # given before the cut, never given twice
    assert gen.status()[0]["failures"] == 1 and gen.status()[1]["served"] == 1


def test_a_different_text_after_failover_stops_with_a_clear_error():
    def handler(request):
        if _host(request) == "a":
            return httpx.Response(200, stream=Cut(_events("Oui, ", "car"), keep=1))
        return httpx.Response(200, content=b"".join(_events("Non.")))

    with pytest.raises(BackendError, match="Réponse interrompue"):
        list(_pool(handler).stream(MSG, max_tokens=20))


def test_all_upstreams_down_is_one_clear_error():
    def handler(request):
        if _host(request) == "a":
            raise httpx.ConnectError("refused")
        return httpx.Response(503, text="loading model")

    with pytest.raises(BackendError, match="Aucun serveur LLM") as err:
        list(_pool(handler).stream(MSG, max_tokens=5))
    assert "http://a:8080/v1 : injoignable" in str(err.value) and "HTTP 503" in str(err.value)


@pytest.mark.parametrize(
    "refusal",
    [
        httpx.Response(422, json={"detail": "response_format.type"}),
        # llama-cpp-python's server (0.3.36) answers its validation error with HTTP 500
        httpx.Response(500, json={"error": {"message": "1 validation error: ('body', 'response_format', 'type')"}}),
    ],
)
def test_schema_goes_as_json_schema_then_json_object_learnt_per_upstream(refusal):
    formats: list[str] = []

    def handler(request):
        fmt = json.loads(request.content)["response_format"]
        formats.append(fmt["type"])
        if fmt["type"] == "json_schema":  # llama-cpp-python's server: only json_object (+ schema)
            return refusal
        assert fmt["schema"] == {"type": "object"}
        return httpx.Response(200, content=b"".join(_events('{"a": 1}')))

    gen = _pool(handler, urls=(A,))
    assert "".join(gen.stream(MSG, max_tokens=5, schema={"type": "object"})) == '{"a": 1}'
    assert "".join(gen.stream(MSG, max_tokens=5, schema={"type": "object"})) == '{"a": 1}'
    assert formats == ["json_schema", "json_object", "json_object"]
    assert gen.status()[0]["schema_mode"] == "json_object" and gen.status()[0]["failures"] == 0


def test_a_server_without_structured_output_is_named_in_french():
    def handler(request):
        if "response_format" in json.loads(request.content):
            return httpx.Response(400, json={"error": "unsupported"})
        return httpx.Response(200, content=b"".join(_events("texte libre")))

    gen = _pool(handler, urls=(A,))
    with pytest.raises(BackendError, match="ne sait pas contraindre la réponse à un schéma JSON"):
        list(gen.stream(MSG, max_tokens=5, schema={"type": "object"}))
    assert "".join(gen.stream(MSG, max_tokens=5)) == "texte libre"  # plain answers still work


# ---------------------------------------------------------------- /health and /metrics per upstream


class _Models(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"data": [{"id": "qwen-0.5b"}]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def one_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Models)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1"  # nothing listens once closed


def test_health_reports_each_upstream_and_stays_ready_while_one_answers(api_settings, one_server):
    from fastapi.testclient import TestClient

    from assistant.core.service import Service
    from assistant.web.api import create_app

    dead = _closed_port_url()
    settings = api_settings.with_(llm="openai", llm_url=f"{one_server},{dead}")
    with TestClient(create_app(settings, Service(settings)), client=("127.0.0.1", 5000)) as client:
        resp = client.get("/health")
        assert resp.status_code == 200, resp.text
        models = {m["name"]: m for m in resp.json()["models"]}
        assert models["openai"]["ok"] and "1/2" in models["openai"]["detail"]
        assert models["openai-1"]["ok"] and "qwen-0.5b" in models["openai-1"]["detail"]
        assert not models["openai-2"]["ok"] and "injoignable" in models["openai-2"]["detail"]
        client.app.state.ctx.audit.close()
    settings = api_settings.with_(llm="openai", llm_url=dead)
    with TestClient(create_app(settings, Service(settings)), client=("127.0.0.1", 5000)) as client:
        resp = client.get("/health")
        assert resp.status_code == 503 and resp.json()["code"] == "model_missing"
        assert "0/1" in resp.json()["message"]
        client.app.state.ctx.audit.close()


def test_metrics_expose_each_upstream(api_settings):
    from fastapi.testclient import TestClient

    from assistant.core.service import Service
    from assistant.web.api import create_app

    def handler(request):
        if _host(request) == "a":
            raise httpx.ConnectError("refused")
        return httpx.Response(200, content=b"".join(_events("ok")))

    settings = api_settings.with_(llm="openai", llm_url=f"{A},{B}")
    gen = _pool(handler)
    assert "".join(gen.stream(MSG, max_tokens=5)) == "ok"
    with TestClient(create_app(settings, Service(settings, generator=gen)), client=("127.0.0.1", 5000)) as client:
        text = client.get("/metrics").text
        client.app.state.ctx.audit.close()
    assert f'assistant_llm_upstream_up{{upstream="{A}"}} 0.0' in text
    assert f'assistant_llm_upstream_up{{upstream="{B}"}} 1.0' in text
    assert f'assistant_llm_upstream_failures_total{{upstream="{A}"}} 1.0' in text
    assert f'assistant_llm_upstream_requests_total{{upstream="{B}"}} 1.0' in text
