"""Client for OpenAI-compatible chat completions servers (llama.cpp server, vLLM): one, or a pool.

Used when the LLM runs on departmental inference servers: `ASSISTANT_LLM=openai`,
`ASSISTANT_LLM_URL=http://gpu-01.cd13.local:8080/v1,http://gpu-02.cd13.local:8080/v1`. Only
departmental hosts should be configured here: nothing leaves the département's network.

Pool: each request goes to the healthy upstream with the fewest requests in flight (then the one
that served least). An upstream that fails (connection refused or cut, timeout, HTTP 5xx) is
skipped for `UPSTREAM_RETRY_S` seconds, then tried again; the request moves on to the next
upstream. If an upstream dies in the middle of an answer, the answer is generated again on
another one and only what the caller has not seen yet is passed on: generation is greedy
(temperature 0), so the same model gives the same text; if it does not, the answer stops with
a clear error rather than a spliced text.

Structured output (JSON answers, the enum facts of the assessment): the schema is sent as
`response_format = {"type": "json_schema", …}` (llama.cpp's C++ server, vLLM); a server that
refuses it with HTTP 400/422 gets `{"type": "json_object", "schema": …}` (llama-cpp-python's
`llama_cpp.server`), learnt per upstream. A server that refuses both cannot constrain the
output: the request fails with a French message naming the server, and the callers fall back
(extractive answer, facts read by keywords).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.backends import Message, Usage
from assistant.base.errors import BackendError, ConfigError
from assistant.base.tuning import UPSTREAM_RETRY_S

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("assistant.llm")

SCHEMA_MODES = ("json_schema", "json_object")


class UpstreamError(Exception):
    """The upstream itself failed (not the request): try another one."""


@dataclass
class Upstream:
    url: str  # base URL, ending in /v1
    in_flight: int = 0
    served: int = 0
    failures: int = 0
    down_until: float = 0.0  # monotonic time before which it is skipped
    last_error: str = ""
    schema_mode: str = SCHEMA_MODES[0]

    def up(self, now: float) -> bool:
        return self.down_until <= now


def split_urls(value: str | Sequence[str]) -> list[str]:
    urls = value.split(",") if isinstance(value, str) else list(value)
    return list(dict.fromkeys(u.strip().rstrip("/") for u in urls if u and u.strip()))


class OpenAIHTTPGenerator:
    def __init__(
        self,
        base_url: str | Sequence[str],
        model: str,
        *,
        api_key: str = "",
        timeout: float = 120.0,
        client: httpx.Client | None = None,
        retry_after_s: float = UPSTREAM_RETRY_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        urls = split_urls(base_url)
        if not urls:
            raise ConfigError("ASSISTANT_LLM=openai demande ASSISTANT_LLM_URL (ex. http://serveur-gpu:8080/v1).")
        import httpx

        self.upstreams = [Upstream(u) for u in urls]
        self.name = f"{model}@{urls[0]}" if len(urls) == 1 else f"{model}@{len(urls)} serveurs"
        self._model = model
        self._retry_after_s = retry_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._local = threading.local()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout, headers=headers)

    # Usage of the last call made by this thread (several answers may run at once against a pool).
    @property
    def usage(self) -> Usage:
        u = getattr(self._local, "usage", None)
        if u is None:
            u = self._local.usage = Usage()
        return u

    @usage.setter
    def usage(self, value: Usage) -> None:
        self._local.usage = value

    # ------------------------------------------------------------------ choice of upstream

    def _order(self) -> list[Upstream]:
        """Healthy upstreams, least busy first; then those marked down, soonest retry first (last resort)."""
        now = self._clock()
        with self._lock:
            healthy = sorted((u for u in self.upstreams if u.up(now)), key=lambda u: (u.in_flight, u.served))
            down = sorted((u for u in self.upstreams if not u.up(now)), key=lambda u: u.down_until)
        return healthy + down

    def _acquire(self, tried: set[str]) -> Upstream | None:
        for u in self._order():
            if u.url not in tried:
                with self._lock:
                    u.in_flight += 1
                return u
        return None

    def _release(self, u: Upstream, error: str | None) -> None:
        with self._lock:
            u.in_flight -= 1
            if error is None:
                u.served += 1
                u.down_until = 0.0
            else:
                u.failures += 1
                u.last_error = error
                u.down_until = self._clock() + self._retry_after_s
        if error is not None:
            log.warning("Serveur LLM %s en échec (%s) : écarté %.0f s.", u.url, error, self._retry_after_s)

    def status(self) -> list[dict]:
        """Each upstream's state, for /health and /metrics."""
        now = self._clock()
        with self._lock:
            return [
                {
                    "url": u.url,
                    "up": u.up(now),
                    "in_flight": u.in_flight,
                    "served": u.served,
                    "failures": u.failures,
                    "last_error": u.last_error,
                    "schema_mode": u.schema_mode,
                }
                for u in self.upstreams
            ]

    # ------------------------------------------------------------------ generation

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        schema: dict | None = None,
        stop: Sequence[str] | None = None,
    ) -> Iterator[str]:
        body: dict = {
            "model": self._model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if stop:
            body["stop"] = list(stop)
        self.usage = Usage()
        given = ""  # text the caller already has
        tried: set[str] = set()
        errors: list[str] = []
        while (up := self._acquire(tried)) is not None:
            tried.add(up.url)
            produced = ""
            error: str | None = None
            try:
                for delta in self._attempt(up, body, schema):
                    produced += delta
                    if len(produced) <= len(given):
                        if not given.startswith(produced):
                            raise _diverged(up.url)
                        continue
                    if not produced.startswith(given):
                        raise _diverged(up.url)
                    new = produced[len(given) :]
                    given = produced
                    yield new
                if not produced.startswith(given):
                    raise _diverged(up.url)
                return
            except UpstreamError as exc:
                error = str(exc)
                errors.append(f"{up.url} : {error}")
            finally:
                self._release(up, error)
        raise BackendError(
            "Aucun serveur LLM n'a pu répondre ("
            + " ; ".join(errors)
            + "). Vérifiez ASSISTANT_LLM_URL et que les serveurs tournent."
        )

    def _attempt(self, up: Upstream, body: dict, schema: dict | None) -> Iterator[str]:
        """One request to one upstream: its deltas; UpstreamError when the server is at fault."""
        import httpx

        url = up.url + "/chat/completions"
        modes = SCHEMA_MODES[SCHEMA_MODES.index(up.schema_mode) :] if schema is not None else (None,)
        for mode in modes:
            payload = dict(body)
            if mode == "json_schema":
                payload["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "reponse", "schema": schema},
                }
            elif mode == "json_object":
                payload["response_format"] = {"type": "json_object", "schema": schema}
            completion = 0
            try:
                with self._client.stream("POST", url, json=payload) as resp:
                    if resp.status_code != 200:
                        resp.read()
                    # a refused schema: HTTP 400/422, or 500 from llama-cpp-python's server (its validation error)
                    if mode is not None and _refuses_format(
                        resp.status_code, resp.text if resp.status_code != 200 else ""
                    ):
                        log.info(
                            "Serveur LLM %s : response_format %s refusé (HTTP %s).", up.url, mode, resp.status_code
                        )
                        continue  # next way of sending the schema
                    if resp.status_code >= 500:
                        raise UpstreamError(f"HTTP {resp.status_code} ({resp.text[:200]})")
                    if resp.status_code != 200:
                        raise BackendError(f"Serveur LLM {url} : HTTP {resp.status_code} ({resp.text[:200]}).")
                    if mode is not None:
                        up.schema_mode = mode
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
                raise UpstreamError(f"injoignable, {exc.__class__.__name__}") from None
            except ValueError as exc:  # a cut or garbled event stream
                raise UpstreamError(f"flux illisible, {exc.__class__.__name__}") from None
            if not self.usage.completion_tokens:
                self.usage.completion_tokens = completion
            return
        message = (
            f"Le serveur LLM {up.url} ne sait pas contraindre la réponse à un schéma JSON (response_format "
            "json_schema ou json_object refusé) : sortie structurée indisponible. Utilisez llama.cpp server "
            "récent ou vLLM avec le décodage guidé (voir deploy/README.md)."
        )
        log.warning(message)
        raise BackendError(message)


def _refuses_format(status: int, text: str) -> bool:
    return status in (400, 422) or (status == 500 and "response_format" in text)


def _diverged(url: str) -> BackendError:
    return BackendError(
        f"Réponse interrompue : le serveur {url} a repris la génération après la panne d'un autre serveur, mais "
        "le texte diffère (modèles différents ?). Reposez la question."
    )


def probe(url: str, *, timeout: float = 3.0, client: httpx.Client | None = None) -> tuple[bool, str]:
    """Is the server at `url` (ending in /v1) answering? (ok, French detail) from GET /models."""
    import httpx

    own = client or httpx.Client(timeout=timeout)
    try:
        resp = own.get(url.rstrip("/") + "/models")
        if resp.status_code != 200:
            return False, f"{url} : HTTP {resp.status_code}"
        ids = [m.get("id", "?") for m in (resp.json().get("data") or []) if isinstance(m, dict)]
        return True, f"{url} : joignable ({', '.join(ids[:3]) or 'modèle non nommé'})"
    except (httpx.HTTPError, ValueError) as exc:
        return False, f"{url} : injoignable ({exc.__class__.__name__})"
    finally:
        if client is None:
            own.close()


__all__ = ["OpenAIHTTPGenerator", "Upstream", "UpstreamError", "probe", "split_urls"]
