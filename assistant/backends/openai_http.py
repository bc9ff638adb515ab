"""Client for an OpenAI-compatible chat completions server (llama.cpp server, vLLM).

Used when the LLM runs on a departmental GPU server: `ASSISTANT_LLM=openai`,
`ASSISTANT_LLM_URL=http://gpu-01.cd13.local:8080/v1`. Only departmental hosts should
be configured here: nothing leaves the département's network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.backends import Message, Usage
from assistant.base.errors import BackendError, ConfigError

if TYPE_CHECKING:
    import httpx


class OpenAIHTTPGenerator:
    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        timeout: float = 120.0,
        client: httpx.Client | None = None,
    ):
        if not base_url:
            raise ConfigError("ASSISTANT_LLM=openai demande ASSISTANT_LLM_URL (ex. http://serveur-gpu:8080/v1).")
        import httpx

        self.name = f"{model}@{base_url}"
        self.usage = Usage()
        self._model = model
        self._url = base_url.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout, headers=headers)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        schema: dict | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        import httpx

        body: dict = {
            "model": self._model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {"name": "reponse", "schema": schema}}
        if stop:
            body["stop"] = list(stop)
        self.usage = Usage()
        completion = 0
        try:
            with self._client.stream("POST", self._url, json=body) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise BackendError(f"Serveur LLM {self._url} : HTTP {resp.status_code} ({resp.text[:200]}).")
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    event = json.loads(data)
                    if event.get("usage"):
                        u = event["usage"]
                        self.usage = Usage(u.get("prompt_tokens", 0), u.get("completion_tokens", completion))
                    for choice in event.get("choices", []):
                        delta = (choice.get("delta") or {}).get("content")
                        if delta:
                            completion += 1
                            yield delta
        except httpx.HTTPError as exc:
            raise BackendError(
                f"Serveur LLM injoignable ({self._url}) : {exc.__class__.__name__}. Vérifiez ASSISTANT_LLM_URL."
            ) from None
        if not self.usage.completion_tokens:
            self.usage.completion_tokens = completion
