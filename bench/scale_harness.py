"""Processes for the scale-out test and bench: llama.cpp servers, API workers, a client sending questions.

    LlamaServer(model_path, threads)   python -m llama_cpp.server on 127.0.0.1 (the 0.5B GGUF in tests)
    ApiServer(env, workers)            assistant serve --no-ui --workers N on 127.0.0.1
    ask_all(url, questions, clients)   POST /v1/ask from `clients` threads; one result per question

Used by tests/test_scale.py (two servers, one killed mid-run) and bench/bench_scale.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from audit_soak import free_port  # noqa: E402 - bench/ is not a package

# A dozen questions on provisions of the end-to-end slice (tests/slice_index.py), all answerable.
QUESTIONS = [
    "Quelle amende risque-t-on pour une pratique d'IA interdite ?",
    "Le Département peut-il utiliser la notation sociale pour attribuer des aides ?",
    "Un outil qui évalue l'éligibilité aux aides sociales est-il à haut risque ?",
    "Qui doit informer les personnes qu'elles interagissent avec un système d'IA ?",
    "Quelles obligations de maîtrise de l'IA l'article 4 impose-t-il aux déployeurs ?",
    "Quelles sont les obligations des déployeurs de systèmes d'IA à haut risque ?",
    "Quand le Département doit-il réaliser une analyse d'impact sur les droits fondamentaux ?",
    "À partir de quelle date le règlement sur l'IA s'applique-t-il ?",
    "Les hypertrucages générés par une IA doivent-ils être signalés comme tels ?",
    "Quel est le montant maximal des amendes pour non-respect des obligations des déployeurs ?",
    "Que prévoit le défi 6 de la charte IA du Département ?",
    "La reconnaissance des émotions sur le lieu de travail est-elle autorisée ?",
]

# llama_cpp.server flags the assistant needs (deploy/README.md says why):
# - interrupt_requests false: by default a new request cuts the one being generated, which would
#   end a concurrent answer early without an error;
# - logits_all false: the logits of every prompt token are not needed (slower prompt processing).
LLAMA_FLAGS = ("--interrupt_requests", "false", "--logits_all", "false", "--verbose", "false")


class Proc:
    """A child process on a loopback port, its output in `log_path`."""

    ready_path = "/health"

    def __init__(self, cmd: list[str], env: dict[str, str], log_path: Path, port: int):
        self.cmd, self.env, self.log_path, self.port = cmd, env, log_path, port
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 300.0) -> Proc:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        # a process group of its own: a kill reaches uvicorn's worker processes too
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + ready_timeout  # a liveness guard, not a measurement
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.cmd[:4]} s'est arrêté au démarrage : voir {self.log_path}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.kill()
        raise RuntimeError(f"{self.cmd[:4]} ne répond pas : voir {self.log_path}")

    def kill(self) -> None:
        """SIGKILL, the whole process group (no goodbye to clients)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class LlamaServer(Proc):
    ready_path = "/v1/models"

    def __init__(self, model: Path, log_dir: Path, *, threads: int = 1, n_ctx: int = 4096, alias: str = "qwen"):
        port = free_port()
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
               "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
               "--n_threads", str(threads), "--n_threads_batch", str(threads), *LLAMA_FLAGS]  # fmt: skip
        super().__init__(cmd, dict(os.environ), log_dir / f"llama-{port}.log", port)

    @property
    def api(self) -> str:
        return self.url + "/v1"


def fake_openai_app():  # uvicorn --factory --app-dir bench scale_harness:fake_openai_app
    """A stand-in for an inference server: an OpenAI-compatible streaming endpoint that replies, in
    pieces 30 ms apart, the scripted generator's reply (the same text for the same request, as greedy
    decoding gives). For tests of the pool's processes without the model's weights."""
    import asyncio
    import json as jsonlib

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    from assistant.backends.fake import ScriptedGenerator

    async def models(request: Request) -> JSONResponse:
        return JSONResponse({"object": "list", "data": [{"id": "fake", "object": "model"}]})

    async def chat(request: Request) -> StreamingResponse:
        body = await request.json()
        gen = ScriptedGenerator()
        pieces = list(gen.stream(body["messages"], max_tokens=int(body.get("max_tokens", 64))))

        async def events():
            for piece in pieces:
                await asyncio.sleep(0.03)
                yield f"data: {jsonlib.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n"
            usage = {"prompt_tokens": gen.usage.prompt_tokens, "completion_tokens": gen.usage.completion_tokens}
            yield f"data: {jsonlib.dumps({'choices': [], 'usage': usage})}\n\ndata: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])])


class FakeLlmServer(Proc):
    """`fake_openai_app` in its own process (uvicorn) on a loopback port."""

    ready_path = "/v1/models"

    def __init__(self, log_dir: Path):
        port = free_port()
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(HERE), "scale_harness:fake_openai_app",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
        super().__init__(cmd, {**os.environ, "PYTHONPATH": str(ROOT)}, log_dir / f"fake-llm-{port}.log", port)

    @property
    def api(self) -> str:
        return self.url + "/v1"


class ApiServer(Proc):
    def __init__(self, env: dict[str, str], log_dir: Path, *, workers: int = 1):
        port = free_port()
        cmd = [sys.executable, "-m", "assistant.cli.main", "serve", "--no-ui", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]  # fmt: skip
        super().__init__(cmd, {**env, "PYTHONPATH": str(ROOT)}, log_dir / f"api-{port}.log", port)


@dataclass
class Result:
    question: str
    status: int
    body: dict
    seconds: float


def ask_all(url: str, questions: list[str], clients: int, *, on_result=None, timeout: float = 900.0) -> list[Result]:
    """Every question once, `clients` at a time; results in question order."""
    results: dict[int, Result] = {}
    todo = list(enumerate(questions))
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(timeout=timeout) as http:
            while True:
                with lock:
                    if not todo:
                        return
                    i, q = todo.pop(0)
                t0 = time.perf_counter()
                try:
                    resp = http.post(url + "/v1/ask", json={"question": q})
                    res = Result(q, resp.status_code, resp.json(), time.perf_counter() - t0)
                except (httpx.HTTPError, ValueError) as exc:
                    res = Result(q, 0, {"error": exc.__class__.__name__}, time.perf_counter() - t0)
                with lock:
                    results[i] = res
                if on_result:
                    on_result(res)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [results[i] for i in range(len(questions))]


def api_env(index_dir: Path, var_dir: Path, llm_urls: list[str], **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ASSISTANT_LLM="openai",
        ASSISTANT_LLM_URL=",".join(llm_urls),
        ASSISTANT_LLM_MODEL_NAME="qwen",
        ASSISTANT_INDEX_DIR=str(index_dir),
        ASSISTANT_VAR_DIR=str(var_dir),
        ASSISTANT_RATE_PER_MINUTE="1000000",
        ASSISTANT_ASK_QUEUE="16",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        **extra,
    )
    return env


__all__ = ["QUESTIONS", "ApiServer", "FakeLlmServer", "LlamaServer", "Result", "api_env", "ask_all", "fake_openai_app"]
