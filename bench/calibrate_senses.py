"""Calibrate the similarity threshold of the practice senses (assess/senses.py, base/tuning.py).

    python bench/calibrate_senses.py [--out FILE]

On the development sets only — the French scenarios, the first blind set (both read and tuned on
before) and the English benchmark half with the adjudicated labels (eval/reports/…-assess-disputed.json)
— never on the later blind sets: for each description, the best similarity of each practice with the
real embedder, whether a keyword cue already fires, and the label. Prints, for thresholds 0.55 to
0.80, the prohibited descriptions a sense reaches (recall) and the others it reaches (each one would
lose « minimal » or « limité » until the practice is answered, or get a needless targeted question).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from assistant.assess import riskmap as rm  # noqa: E402
from assistant.assess.senses import Senses  # noqa: E402
from assistant.base.settings import PROJECT_ROOT, Settings  # noqa: E402
from assistant.law import law  # noqa: E402
from assistant.search.embed import make_embedder  # noqa: E402

DISPUTED = PROJECT_ROOT / "eval" / "reports" / "2026-11-27-assess-disputed.json"


def dev_rows() -> list[dict]:
    rows = []
    for name, file in (
        ("scenarios", "scenarios.jsonl"),
        ("blind", "scenarios-blind.jsonl"),
        ("dev4", "scenarios-dev4.jsonl"),
    ):
        path = PROJECT_ROOT / "eval" / file
        rows += [json.loads(x) | {"set": name} for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    try:
        from assistant.evaluation.benchmark import SCENARIOS_FILE, external_dir, scenario_lines

        adjudicated = {d["id"]: d["selon_le_texte"] for d in json.loads(DISPUTED.read_text(encoding="utf-8"))}
        for r in scenario_lines(external_dir() / SCENARIOS_FILE):
            rows.append(r | {"set": "benchmark", "risk_level": adjudicated.get(r["id"], r["risk_level"])})
    except (OSError, ValueError) as exc:
        print(f"(benchmark absent: {exc})", file=sys.stderr)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path)
    p.add_argument("--facts", action="store_true", help="the senses of the facts of art. 50 instead")
    args = p.parse_args()
    senses = Senses(make_embedder(Settings.load()).embed_sentences)
    if args.facts:
        return calibrate_facts(senses)
    out = []
    for r in dev_rows():
        kw = rm.keyword_facts(r["description"])
        scores = senses.scores(r["description"])
        out.append(
            {
                "id": r["id"],
                "set": r["set"],
                "gold": r["risk_level"],
                "cued": sorted(kw.cued),
                "stated": sorted(n for n in rm.PROHIBITED_KINDS if kw.values.get(n) and kw.values[n].value == rm.YES),
                "best": max((s for s, _ in scores.values()), default=0.0),
                "scores": {f: round(s, 3) for f, (s, _) in scores.items()},
            }
        )
    if args.out:
        args.out.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in out) + "\n", encoding="utf-8")
    by_gold = collections.Counter(x["gold"] for x in out)
    print(f"{len(out)} descriptions: " + ", ".join(f"{g} {n}" for g, n in sorted(by_gold.items())))
    print("threshold  prohibited reached (no keyword cue/statement)  others reached: by label")
    for t in [x / 1000 for x in range(550, 801, 25)]:
        hit = [x for x in out if x["best"] >= t]
        proh = [x for x in hit if x["gold"] == "prohibited"]
        new = [x for x in proh if not x["cued"] and not x["stated"]]
        others = collections.Counter(x["gold"] for x in hit if x["gold"] != "prohibited")
        print(
            f"  {t:.2f}   {len(proh)}/{by_gold['prohibited']} ({len(new)} new)   "
            + ", ".join(f"{g} {n}/{by_gold[g]}" for g, n in sorted(others.items()))
        )
    low = [x for x in out if x["gold"] in ("minimal", "limited", "out-of-scope") and x["best"] >= 0.6]
    print("\nminimal, limited or out-of-scope with a similarity ≥ 0.60: best practice")
    for x in sorted(low, key=lambda x: -x["best"]):
        top = max(x["scores"].items(), key=lambda kv: kv[1])
        print(f"  {x['set']:10} {x['id']:10} {x['gold']:12} {x['best']:.3f} {top[0]}")
    missed = [x for x in out if x["gold"] == "prohibited" and not x["cued"] and not x["stated"]]
    print("\nprohibited without keyword cue or statement: best similarity")
    for x in sorted(missed, key=lambda x: x["best"]):
        top = max(x["scores"].items(), key=lambda kv: kv[1], default=("-", 0))
        print(f"  {x['set']:10} {x['id']:10} {x['best']:.3f} {top[0]}")
    return 0


def calibrate_facts(senses: Senses) -> int:
    """For the facts of art. 50: the « limité » descriptions a fact sense reaches without a keyword
    finding of the fact (what it adds), and the « minimal » ones it reaches (each a wrong « limité »
    unless the model or the words deny it)."""
    art50 = tuple(sorted({s.fact for s in law().cues_fr.fact_senses}))  # the facts the law data has senses for
    out = []
    for r in dev_rows():
        kw = rm.keyword_facts(r["description"])
        have = {
            f for f in art50 if kw.values.get(f) and kw.values[f].value == rm.YES and kw.values[f].strength == rm.HIGH
        }
        scores = {f: s for (f, v), (s, _) in senses.all_scores(r["description"]).items() if v}
        out.append({"id": r["id"], "set": r["set"], "gold": r["risk_level"], "have": have, "scores": scores})
    by_gold = collections.Counter(x["gold"] for x in out)
    print(f"{len(out)} descriptions: " + ", ".join(f"{g} {n}" for g, n in sorted(by_gold.items())))
    for fact in (*art50, "any"):
        names = art50 if fact == "any" else (fact,)
        print(f"\n{fact}: threshold  limited reached (new)  minimal reached (new)  others")
        for t in [x / 100 for x in range(56, 78, 2)]:
            hit = {x["id"]: any(x["scores"].get(f, 0) >= t for f in names) for x in out}
            new = {x["id"]: any(x["scores"].get(f, 0) >= t and f not in x["have"] for f in names) for x in out}
            lim = [x for x in out if x["gold"] == "limited" and hit[x["id"]]]
            mini = [x for x in out if x["gold"] == "minimal" and hit[x["id"]]]
            others = collections.Counter(
                x["gold"] for x in out if hit[x["id"]] and x["gold"] not in ("limited", "minimal")
            )
            print(
                f"  {t:.2f}   {len(lim)}/{by_gold['limited']} ({sum(new[x['id']] for x in lim)})   "
                f"{len(mini)}/{by_gold['minimal']} ({sum(new[x['id']] for x in mini)})   "
                + ", ".join(f"{g} {n}" for g, n in sorted(others.items()))
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
