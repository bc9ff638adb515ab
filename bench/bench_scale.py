"""Answers per minute with 1 and 2 inference servers × 1 and 2 API workers, and the arithmetic for a GPU node.

    flock /tmp/assistant-cpu.lock python bench/bench_scale.py [--questions 12] [--clients 4] [--out FILE]

Each configuration starts its llama.cpp servers (llama_cpp.server, the 0.5B GGUF by default; the
cores are split between them: 1 server × 2 threads or 2 servers × 1 thread on a 2-core machine),
then `assistant serve --no-ui --workers N` over the index in service, warms every server up with
one question, and sends the questions from `--clients` concurrent clients. On a 2-core machine
the ratio between configurations is what counts: several servers or workers cannot add cores.

The GPU figures are arithmetic, not a measurement (no GPU here): the tokens an answer needs, as
measured here, divided by a GPU server's throughput given on the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from scale_harness import QUESTIONS, ApiServer, LlamaServer, api_env, ask_all  # noqa: E402


def run_config(model: Path, index_dir: Path, servers: int, workers: int, questions: list[str], clients: int) -> dict:
    cores = os.cpu_count() or 2
    work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{servers}x{workers}-"))
    llamas = [LlamaServer(model, work, threads=max(1, cores // servers)) for _ in range(servers)]
    api = None
    try:
        for s in llamas:
            s.start()
        api = ApiServer(api_env(index_dir, work / "var", [s.api for s in llamas]), work, workers=workers).start()
        ask_all(api.url, questions[: servers * workers], clients=servers * workers)  # warm-up: models, KV cache
        t0 = time.perf_counter()
        results = ask_all(api.url, questions, clients=clients)
        wall = time.perf_counter() - t0
    finally:
        if api:
            api.stop()
        for s in llamas:
            s.stop()
    ok = [r for r in results if r.status == 200]
    generated = [r for r in ok if r.body.get("model", {}).get("llm", "").startswith("qwen@")]  # not a fallback
    tokens = [r.body.get("tokens") or {} for r in generated]
    return {
        "servers": servers,
        "workers": workers,
        "threads_per_server": max(1, cores // servers),
        "questions": len(questions),
        "answered": len(ok),
        "generated": len(generated),
        "wall_s": round(wall, 1),
        "answers_per_minute": round(60 * len(ok) / wall, 2),
        "mean_latency_s": round(sum(r.seconds for r in ok) / max(1, len(ok)), 1),
        "prompt_tokens": round(sum(t.get("prompt", 0) for t in tokens) / max(1, len(tokens))),
        "completion_tokens": round(sum(t.get("completion", 0) for t in tokens) / max(1, len(tokens))),
        "retrieval_ms": round(sum(r.body.get("timings", {}).get("retrieval_ms", 0) for r in ok) / max(1, len(ok))),
    }


def gpu_arithmetic(prompt: float, completion: float, prefill_tps: float, decode_tps: float) -> dict:
    """Answers per minute of one GPU server from the tokens an answer needs and the server's throughput."""
    seconds = prompt / prefill_tps + completion / decode_tps  # GPU time per answer, batched
    return {
        "prompt_tokens": round(prompt),
        "completion_tokens": round(completion),
        "prefill_tokens_per_s": prefill_tps,
        "decode_tokens_per_s": decode_tps,
        "gpu_seconds_per_answer": round(seconds, 3),
        "answers_per_minute": round(60 / seconds),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--questions", type=int, default=12)
    p.add_argument("--clients", type=int, default=4, help="concurrent clients (the load)")
    p.add_argument("--model", default="llm-0.5b", help="llm-0.5b, llm-1.5b")
    p.add_argument("--configs", default="1x1,2x1,1x2,2x2", help="SERVERSxWORKERS, comma-separated")
    # Assumed aggregate throughput of one GPU inference server (vLLM, continuous batching) for a
    # 1.5B model; not measured here: replace with the figures of the département's GPU.
    p.add_argument("--gpu-prefill-tps", type=float, default=20000.0)
    p.add_argument("--gpu-decode-tps", type=float, default=2500.0)
    # llama-cpp-python's server does not report prompt tokens in a stream: the dev-set median then
    # (eval/reports/2026-11-27-summary.md, « jetons de prompt p50 »).
    p.add_argument("--prompt-tokens", type=float, default=710.0)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)

    from assistant.base.settings import Settings
    from assistant.ops.models import model_path
    from assistant.search.index import current_generation

    settings = Settings.load()
    if current_generation(settings.index_path) is None:
        print(f"Pas d'index dans {settings.index_path} : lancez `assistant index build`.", file=sys.stderr)
        return 2
    model = model_path(args.model, settings.models_path)
    questions = (QUESTIONS * (1 + args.questions // len(QUESTIONS)))[: args.questions]
    rows = []
    for spec in args.configs.split(","):
        servers, workers = (int(x) for x in spec.split("x"))
        row = run_config(model, settings.index_path, servers, workers, questions, args.clients)
        rows.append(row)
        print(
            f"{servers} serveur(s) × {workers} worker(s) : {row['answers_per_minute']:.2f} réponses/min "
            f"({row['answered']}/{row['questions']} en {row['wall_s']} s, latence moyenne {row['mean_latency_s']} s, "
            f"{row['prompt_tokens']} + {row['completion_tokens']} jetons/réponse)",
            flush=True,
        )
    base = rows[0]["answers_per_minute"] or 1.0
    print(
        "\nRapport au premier réglage : "
        + ", ".join(f"{r['servers']}×{r['workers']} {r['answers_per_minute'] / base:.2f}" for r in rows)
    )
    generated = [r for r in rows if r["generated"]]
    prompt = sum(r["prompt_tokens"] for r in generated) / max(1, len(generated)) or args.prompt_tokens
    completion = sum(r["completion_tokens"] for r in generated) / max(1, len(generated))
    gpu = gpu_arithmetic(prompt, completion, args.gpu_prefill_tps, args.gpu_decode_tps)
    print(
        f"\nGPU (arithmétique, non mesuré) : {gpu['prompt_tokens']} jetons de contexte / {gpu['prefill_tokens_per_s']:.0f} "
        f"jetons/s + {gpu['completion_tokens']} jetons produits / {gpu['decode_tokens_per_s']:.0f} jetons/s = "
        f"{gpu['gpu_seconds_per_answer']} s de GPU par réponse, soit ~{gpu['answers_per_minute']} réponses/min "
        "par serveur GPU (débit agrégé en lots ; à recaler avec le débit mesuré du GPU du Département)."
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"configs": rows, "gpu": gpu}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
