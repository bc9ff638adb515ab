"""Assessment benchmark: time and risk-level agreement of `Service.assess` with the real default model.

Usage:
    python bench/bench_assess.py [N=10] [--no-summary] [--keywords-only]
        time N assessments spread over eval/scenarios.jsonl (the product as served: facts + summary)
    python bench/bench_assess.py --levels [--set scenarios|benchmark|both|blind|blind2|blind3|blind4|blind5|blind6|blind7|dev4] [--budget MIN] [--out FILE]
                                 [--no-summary [--timed K]] [--keywords-only]
        risk level of every scenario (French set and/or the English benchmark half, spread order),
        with the keyword-only level beside it, until the time budget is spent; one JSON line per
        scenario in FILE (resumable: ids already there are skipped), confusion matrices at the end;
        --timed K: the first K with the summary all the same, for the time of a served assessment.

(default LLM: ASSISTANT_LLM, the 1.5B model; 2 threads on the reference machine)

Median time of an assessment on 2 cores (target ≤ 30 s), Qwen2.5-Coder 1.5B Q4_K_M, 2 threads, as served
(facts + summary), 2026-11-28, `bench_assess.py 12`: 23.6 s median, p90 25.7 s, facts step 6.4 s,
first summary token 10.0 s (and 21.5 s median, p90 23.7 s, over the 8 warm summarised assessments
of a --levels --timed 9 run). The facts step is that short since the enum-only JSON is decoded by
`backends/choice.py` (it was 22.8 s token by token: total 36.6 s median, p90 43.9 s, `bench_assess.py 8`).
Without the summary: 8.0 s median over 256 assessments. See eval/reports/2026-11-28-assess-summary.md.

Runs in one process, as the server does: the fixed system prompt is evaluated once and then
reused from the KV cache by both calls of an assessment (facts, then summary); the first
(cold) assessment is reported separately. The summary never changes the level (code decides),
so `--levels --no-summary` measures the same levels faster.
"""

from __future__ import annotations

import collections
import json
import statistics
import sys
import time
from pathlib import Path

from assistant.assess import riskmap as rm
from assistant.assess.assessor import _describes_use, merge_facts
from assistant.base.settings import PROJECT_ROOT, Settings
from assistant.core.service import Service


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def _option(name: str, default: str) -> str:
    args = sys.argv[1:]
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else default


def keyword_level(text: str) -> str:
    """The level from the keyword facts alone (what the model adds is the difference)."""
    kw = rm.keyword_facts(text)
    if not rm.about_ai_use(text) and not _describes_use(kw):
        return "undetermined"
    facts, sources, contradictions = merge_facts(kw, None)
    return rm.decide(facts, text, contradictions, rm.open_practices(kw, facts, sources)).level


# The blind sets (never tuned on after their first run); blind3's first run: 2026-12-03 (practice senses),
# blind4's and blind5's: 2026-12-03 afternoon (facts of art. 50 by meaning; blind5 also with the kept canary).
BLIND = {
    "blind": "scenarios-blind.jsonl",
    "blind2": "scenarios-blind2.jsonl",
    "blind3": "scenarios-blind3.jsonl",
    "blind4": "scenarios-blind4.jsonl",
    "blind5": "scenarios-blind5.jsonl",
    "blind6": "scenarios-blind6.jsonl",  # first run 2026-12-03 evening (judge of the cued practices)
    "blind7": "scenarios-blind7.jsonl",  # first run 2026-12-03 night (near practices judged): 31/60, spent
    "blind8": "scenarios-blind8.jsonl",  # written 2026-12-03 night, unread, not yet run: the next round's first run
}
# Written by someone who read neither the rules nor the other sets, to be read and tuned on.
DEV = {"dev4": "scenarios-dev4.jsonl"}


def scenario_rows(which: str) -> list[dict]:
    """French scenarios in file order (levels interleaved) and/or the benchmark half in a spread
    order (every 5th item first), alternated so that a cut run still covers both sets."""
    fr: list[dict] = []
    en: list[dict] = []
    if which in BLIND or which in DEV:  # blind: written blind to the rules, after them (out-of-sample)
        path = PROJECT_ROOT / "eval" / {**BLIND, **DEV}[which]
        return [json.loads(x) | {"set": which} for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    if which in ("scenarios", "both"):
        path = PROJECT_ROOT / "eval" / "scenarios.jsonl"
        fr = [json.loads(x) | {"set": "scenarios"} for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    if which in ("benchmark", "both"):
        from assistant.evaluation.benchmark import SCENARIOS_FILE, external_dir, scenario_lines

        lines = scenario_lines(external_dir() / SCENARIOS_FILE)
        order = sorted(range(len(lines)), key=lambda i: (i % 5, i))
        en = [lines[i] | {"set": "benchmark"} for i in order]
    out: list[dict] = []
    for i in range(max(len(fr), len(en))):
        out += [r for r in (fr[i] if i < len(fr) else None, en[i] if i < len(en) else None) if r]
    return out


def confusion(rows: list[dict], key: str) -> str:
    c = collections.Counter((r["gold"], r[key]) for r in rows)
    ok = sum(v for (g, p), v in c.items() if g == p)
    lines = [f"  accuracy {ok}/{len(rows)} = {ok / max(1, len(rows)):.3f}"]
    lines.append("  " + "gold \\ got".ljust(14) + "".join(f"{p[:11]:>12}" for p in rm.LEVELS))
    for g in rm.LEVELS:
        if any(c[(g, p)] for p in rm.LEVELS):
            lines.append("  " + g.ljust(14) + "".join(f"{c[(g, p)]:>12}" for p in rm.LEVELS))
    lines.append(f"  prohibited → minimal/limited: {c[('prohibited', 'minimal')] + c[('prohibited', 'limited')]}")
    return "\n".join(lines)


def levels() -> None:
    which = _option("--set", "both")
    budget = float(_option("--budget", "38")) * 60
    out_path = Path(_option("--out", str(PROJECT_ROOT / "eval" / "runs" / "assess-levels.jsonl")))
    out_path.parent.mkdir(parents=True, exist_ok=True)
    done = {}
    if out_path.is_file():
        for line in out_path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                done[r["id"]] = r
    svc = Service(Settings.load())
    phrase = "--no-summary" not in sys.argv
    svc.assessor.use_model = "--keywords-only" not in sys.argv
    timed = int(_option("--timed", "0"))  # the first N assessments with the summary, as served (for the times)
    t0 = time.perf_counter()
    count = 0
    with out_path.open("a", encoding="utf-8") as f:
        for row in scenario_rows(which):
            if row["id"] in done:
                continue
            if time.perf_counter() - t0 > budget:
                print(f"time budget spent ({budget / 60:.0f} min): stopping", flush=True)
                break
            svc.assessor.phrase = phrase or count < timed
            count += 1
            out = svc.assess(row["description"]).to_json()
            changed = {
                k: v
                for k, v in out.get("fact_sources", {}).items()
                if v.startswith(("modèle", "contradiction")) or "le modèle lisait" in v
            }
            rec = {
                "id": row["id"],
                "set": row["set"],
                "gold": row["risk_level"],
                "level": out["risk_level"],
                "keywords_only": keyword_level(row["description"]),
                "summary": svc.assessor.phrase,
                "cold": count == 1,  # loads the GGUF and evaluates the system prompt: not in the times
                "total_s": round(out["timings"]["total_ms"] / 1000, 2),
                "facts_s": round(out["timings"].get("facts_ms", 0.0) / 1000, 2),
                "tokens": out.get("tokens", {}),
                "wh": out["energy"]["wh"],
                "model": out.get("extraction", {}).get("model", ""),
                "model_facts": {k: str(out["facts"].get(k)) for k in changed},
                "grounds": [g["id"] for g in out.get("grounds", [])],
                # the practices judged (assess/judge.py): margin, and whether a cue evoked them
                "judged": {
                    n: [v["ecart"], v["oui"], "indice" not in v]
                    for n, v in (out.get("extraction", {}).get("judged") or {}).items()
                },
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            done[row["id"]] = rec
            print(
                f"  {rec['id']} {rec['gold']:>12} → {rec['level']:<12} (mots-clés {rec['keywords_only']:<12}) "
                f"{rec['total_s']:6.1f} s  {rec['model']}",
                flush=True,
            )
    rows = list(done.values())
    for name in ("scenarios", "benchmark", *BLIND, *DEV):
        part = [r for r in rows if r["set"] == name]
        if not part:
            continue
        print(f"\n{name}: {len(part)} assessed · {part[0]['model'] and 'model ' + str(svc.assessor.use_model)}")
        print(" with the model's facts:")
        print(confusion(part, "level"))
        print(" keyword facts only, same items:")
        print(confusion(part, "keywords_only"))
    _times(rows)


def _times(rows: list[dict]) -> None:
    for summary_on in (True, False):
        part = [r for r in rows if r.get("summary", True) == summary_on and not r.get("cold")]
        if not part:
            continue
        t = [r["total_s"] for r in part]
        gen = [r["tokens"].get("completion", 0) for r in part]
        prompt = [r["tokens"].get("prompt", 0) for r in part]
        print(
            f"summary {'on' if summary_on else 'off'}, {len(t)} assessments: time median {statistics.median(t):.1f} s, "
            f"p90 {pct(t, 90):.1f} s; facts step median {statistics.median([r['facts_s'] for r in part]):.1f} s; "
            f"tokens prompt median {statistics.median(prompt):.0f}, generated median {statistics.median(gen):.0f}; "
            f"energy median {statistics.median([r['wh'] for r in part]):.4f} Wh"
        )


def summary() -> None:
    """Confusion matrices of a --levels file, with and without the items whose gold label is disputed
    under the Act (a JSON list of {"id", ...} written by a person, see eval/reports/)."""
    path = Path(_option("--summary", ""))
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    disputed_file = _option("--disputed", "")
    disputed = set()
    if disputed_file:
        disputed = {d["id"] for d in json.loads(Path(disputed_file).read_text(encoding="utf-8"))}
    for name in ("scenarios", "benchmark", *BLIND, *DEV):
        part = [r for r in rows if r["set"] == name]
        if not part:
            continue
        kept = [r for r in part if r["id"] not in disputed]
        for key, label in (("level", "with the model's facts"), ("keywords_only", "keyword facts only")):
            print(f"{name}, {label}, all {len(part)} items:")
            print(confusion(part, key))
            if len(kept) < len(part):
                print(f"{name}, {label}, without the {len(part) - len(kept)} disputed labels:")
                print(confusion(kept, key))
    _times(rows)


def main() -> None:
    if "--levels" in sys.argv:
        levels()
        return
    if "--summary" in sys.argv:
        summary()
        return
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
    cold = svc.assess("Un logiciel trierait les CV des candidats à nos offres d'emploi.").to_json()
    print(
        f"cold first assessment (loads index, GGUF, system prompt): {time.perf_counter() - t0:.1f} s ({cold['model']['llm']})",
        flush=True,
    )
    total, ttft, facts, prompt, completion, wh = [], [], [], [], [], []
    agree = 0
    for r in rows:
        out = svc.assess(r["description"]).to_json()
        t = out["timings"]
        total.append(t["total_ms"] / 1000)
        ttft.append(t["ttft_ms"] / 1000)
        facts.append(t.get("facts_ms", 0.0) / 1000)
        prompt.append(out["tokens"]["prompt"])
        completion.append(out["tokens"]["completion"])
        wh.append(out["energy"]["wh"])
        agree += out["risk_level"] == r["risk_level"]
        print(
            f"  {r['id']} {r['risk_level']:>12} → {out['risk_level']:<12} {t['total_ms'] / 1000:6.1f} s  "
            f"(facts {t.get('facts_ms', 0.0) / 1000:.1f} s, {out['tokens']['completion']} tokens generated; "
            f"{out['extraction'].get('model', '')})",
            flush=True,
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
