"""LLM backends: the OpenAI-compatible client against a mock transport, the scripted fake, the factory."""

from __future__ import annotations

import json

import httpx
import pytest

from assistant.backends import make_generator
from assistant.backends.fake import ScriptedGenerator
from assistant.backends.openai_http import OpenAIHTTPGenerator
from assistant.base.errors import BackendError, ConfigError, ModelError
from assistant.base.settings import Settings


def _sse(*events: dict) -> bytes:
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events) + b"data: [DONE]\n\n"


def test_openai_client_streams_deltas_and_usage():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["url"] = str(request.url)
        seen["body"] = json.loads(request.content)
        body = _sse(
            {"choices": [{"delta": {"content": '{"trouve": '}}]},
            {"choices": [{"delta": {"content": "true}"}}]},
            {"choices": [], "usage": {"prompt_tokens": 321, "completion_tokens": 2}},
        )
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    gen = OpenAIHTTPGenerator(
        "http://127.0.0.1:9/v1", "qwen", client=httpx.Client(transport=httpx.MockTransport(handler))
    )
    out = "".join(gen.stream([{"role": "user", "content": "q"}], max_tokens=20, schema={"type": "object"}))
    assert out == '{"trouve": true}'
    assert seen["url"] == "http://127.0.0.1:9/v1/chat/completions"
    assert seen["body"]["stream"] is True and seen["body"]["temperature"] == 0.0
    assert seen["body"]["response_format"]["type"] == "json_schema"
    assert gen.usage.prompt_tokens == 321 and gen.usage.completion_tokens == 2


def test_openai_client_errors_are_actionable():
    gen = OpenAIHTTPGenerator(
        "http://127.0.0.1:9/v1",
        "m",
        client=httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(500, text="boom"))),
    )
    with pytest.raises(BackendError, match="HTTP 500"):
        list(gen.stream([{"role": "user", "content": "q"}], max_tokens=5))

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    gen = OpenAIHTTPGenerator("http://127.0.0.1:9/v1", "m", client=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(BackendError, match="ASSISTANT_LLM_URL"):
        list(gen.stream([{"role": "user", "content": "q"}], max_tokens=5))
    with pytest.raises(ConfigError):
        OpenAIHTTPGenerator("", "m")


def test_scripted_generator_records_history():
    gen = ScriptedGenerator(["abc"])
    assert "".join(gen.stream([{"role": "user", "content": "x"}], max_tokens=3)) == "abc"
    assert gen.history[0]["max_tokens"] == 3
    assert "".join(gen.stream([{"role": "user", "content": "x"}], max_tokens=3)) == gen.default


def test_factory(tmp_path):
    assert isinstance(make_generator(Settings.load(llm="fake")), ScriptedGenerator)
    assert isinstance(
        make_generator(Settings.load(llm="openai", llm_url="http://127.0.0.1:8080/v1")), OpenAIHTTPGenerator
    )
    with pytest.raises(ModelError, match="introuvable"):
        make_generator(Settings.load(llm=str(tmp_path / "absent.gguf")))
    with pytest.raises(ModelError):
        make_generator(Settings.load(llm="llm-1.5b", models_dir=str(tmp_path)))
