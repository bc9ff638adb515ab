"""Assessment benchmark: time of `Service.assess` with the real default model over scenarios.

Usage: python bench/bench_assess.py [N=10] [--no-summary] [--keywords-only]
    (default LLM: ASSISTANT_LLM, the 1.5B model; 2 threads on the reference machine)

Runs in one process, as the server does: the fixed system prompt is evaluated once and then
reused from the KV cache by both calls of an assessment (facts, then summary); the first
(cold) assessment is reported separately. Prints median / p90 total time, time to the first
summary token, the facts step alone, tokens, energy, and the risk-level agreement on the
scenarios used (a by-product, not the evaluation: see `assistant eval run`).
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from assistant.config import PROJECT_ROOT, Settings
from assistant.service import Service


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 10
    path = PROJECT_ROOT / "eval" / "scenarios.jsonl"
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    step = max(1, len(rows) // n)
    rows = rows[::step][:n]  # the levels are interleaved in the file: a spread sample
    svc = Service(Settings.load())
    svc.assessor.phrase = "--no-summary" not in sys.argv
    svc.assessor.use_model = "--keywords-only" not in sys.argv
    t0 = time.perf_counter()
    cold = svc.assess("Un logiciel trierait les CV des candidats à nos offres d'emploi.")
    print(
        f"cold first assessment (loads index, GGUF, system prompt): {time.perf_counter() - t0:.1f} s ({cold['model']['llm']})"
    )
    total, ttft, facts, prompt, completion, wh = [], [], [], [], [], []
    agree = 0
    for r in rows:
        out = svc.assess(r["description"])
        t = out["timings"]
        total.append(t["total_ms"] / 1000)
        ttft.append(t["ttft_ms"] / 1000)
        facts.append(t.get("facts_ms", 0.0) / 1000)
        prompt.append(out["tokens"]["prompt"])
        completion.append(out["tokens"]["completion"])
        wh.append(out["energy"]["wh"])
        agree += out["risk_level"] == r["risk_level"]
        print(
            f"  {r['id']} {r['risk_level']:>12} → {out['risk_level']:<12} {t['total_ms'] / 1000:6.1f} s  ({out['extraction']['model']})"
        )
    print(
        f"assessed {len(total)} scenarios · summary {'on' if svc.assessor.phrase else 'off'} · model {out['model']['llm']}"
    )
    print(f"total time:        median {statistics.median(total):.1f} s, p90 {pct(total, 90):.1f} s (target ≤ 30 s)")
    print(f"facts step:        median {statistics.median(facts):.1f} s, p90 {pct(facts, 90):.1f} s")
    print(f"first summary tok: median {statistics.median(ttft):.1f} s")
    print(
        f"tokens per assessment: prompt median {statistics.median(prompt):.0f}, completion median {statistics.median(completion):.0f}"
    )
    print(f"energy: median {statistics.median(wh):.4f} Wh ({out['energy']['method'].split(' :')[0]})")
    print(f"risk level as expected on this sample: {agree}/{len(total)}")


if __name__ == "__main__":
    main()
