"""Answer benchmark on the dev set: first useful content (the first piece of answer text
streamed: the list built by code for a set question, else the model's first word), time to
first model token, total time, prompt tokens, overhead against llama.cpp alone on the same
prompt, energy. Prints figures only.

Usage: python bench/bench_answer.py [N=20] [M=0]   (default LLM: ASSISTANT_LLM, 1.5B)
N single-fact questions (eval/questions.jsonl), then M set questions (eval/questions-sets.jsonl),
reported separately.
Runs in one process, as the server does: the fixed system prompt is evaluated once and
reused from the KV cache; the first (cold) question is reported separately.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from assistant.answer.compose import SCHEMA
from assistant.base.settings import PROJECT_ROOT, Settings
from assistant.base.tuning import ANSWER_MAX_TOKENS
from assistant.core.service import Service


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def spread(name: str, n: int) -> list[str]:
    """n answerable questions of an eval file, spread over it."""
    lines = [json.loads(x) for x in (PROJECT_ROOT / "eval" / name).read_text().splitlines() if x.strip()]
    questions = [q["question"] for q in lines if q.get("answerable", True)]
    step = max(1, len(questions) // max(n, 1))
    return questions[::step][:n]


def sets_bench(svc: Service, questions: list[str]) -> None:
    """Set questions: first useful content, first model token and total time, answer length."""
    first, ttft, total, chars = [], [], [], []
    for q in questions:
        out = svc.ask(q, on_token=lambda _piece: None).to_json()
        first.append(out["timings"]["first_content_ms"] / 1000)
        ttft.append(out["timings"]["ttft_ms"] / 1000)
        total.append(out["timings"]["total_ms"] / 1000)
        chars.append(len(out["answer"]))
    print(f"set questions: {len(questions)} (eval/questions-sets.jsonl)")
    print(f"  first useful content: median {statistics.median(first):.2f} s, p90 {pct(first, 90):.2f} s")
    print(f"  first model token:    median {statistics.median(ttft):.1f} s, p90 {pct(ttft, 90):.1f} s")
    print(f"  total time:           median {statistics.median(total):.1f} s, p90 {pct(total, 90):.1f} s")
    print(f"  answer length:        median {statistics.median(chars):.0f} characters")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    questions = spread("questions.jsonl", n)
    svc = Service(Settings.load())
    t0 = time.perf_counter()
    cold = svc.ask(questions[0]).to_json()
    print(
        f"cold first question (loads embedder, index, GGUF): {time.perf_counter() - t0:.1f} s "
        f"(ttft {cold['timings']['ttft_ms'] / 1000:.1f} s)"
    )
    gen = svc.generator
    warm_msgs = None
    ttft, total, prompt, overhead, wh, gen_only, first = [], [], [], [], [], [], []
    for q in questions:
        out = svc.ask(q, on_token=lambda _piece: None).to_json()
        if out["abstained"] or not out["tokens"]["prompt"]:
            continue
        first.append(out["timings"]["first_content_ms"] / 1000)
        ttft.append(out["timings"]["ttft_ms"] / 1000)
        total.append(out["timings"]["total_ms"] / 1000)
        prompt.append(out["tokens"]["prompt"])
        wh.append(out["energy"]["wh"])
        msgs = svc.answerer.last_messages
        warm_msgs = warm_msgs or [msgs[0], {"role": "user", "content": "Bonjour."}]
        "".join(gen.stream(warm_msgs, max_tokens=1))  # same cache state as the ask: system prefix only
        t1 = time.perf_counter()
        "".join(gen.stream(msgs, max_tokens=ANSWER_MAX_TOKENS, schema=SCHEMA))  # the assistant's own limits
        raw = time.perf_counter() - t1
        gen_only.append(raw)
        overhead.append(out["timings"]["total_ms"] / 1000 / raw)
        "".join(gen.stream(warm_msgs, max_tokens=1))
    print(f"answered {len(total)} of {len(questions)} dev questions with model {out['model']['llm']}")
    print(f"first useful content: median {statistics.median(first):.2f} s, p90 {pct(first, 90):.2f} s")
    print(f"time to first token: median {statistics.median(ttft):.1f} s, p90 {pct(ttft, 90):.1f} s")
    print(f"total time:          median {statistics.median(total):.1f} s, p90 {pct(total, 90):.1f} s")
    print(f"llama.cpp alone, same prompt: median {statistics.median(gen_only):.1f} s")
    print(
        f"overhead (assistant total / llama.cpp alone): median {statistics.median(overhead):.3f}, p90 {pct(overhead, 90):.3f}"
    )
    print(f"prompt tokens: median {statistics.median(prompt):.0f} (system prefix reused from the KV cache)")
    print(
        f"energy per answer: median {statistics.median(wh):.4f} Wh, p90 {pct(wh, 90):.4f} Wh ({out['energy']['method']})"
    )
    if m:
        sets_bench(svc, spread("questions-sets.jsonl", m))


if __name__ == "__main__":
    main()
