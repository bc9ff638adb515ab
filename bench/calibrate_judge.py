"""Calibrate the judge of the cued prohibited practices (assess/judge.py, tuning.JUDGE_MARGIN).

    python bench/calibrate_judge.py [--out FILE]
    python bench/calibrate_judge.py --every [--out FILE]   (the gate of the practices close in meaning)

On the French development sets only (the French scenarios, the first blind set, dev4: all read and
tuned on before; the later blind sets never): for each description, the practices its keyword cues
and senses evoke, and for each one with a judge question the margin score(« oui ») − score(« non »)
of the real default model, read from the assessment itself (`extraction.judged`): the margins move
by a few tenths with what the KV cache holds before the question, so only the product's path counts. One JSON line per description in FILE
(resumable). Prints, per practice and threshold, the descriptions the article's label puts under that
practice that a judged « oui » reaches, and the others it reaches: a non-prohibited one would be
called « interdit »; a prohibited one under another point is reached with the wrong point.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from calibrate_senses import dev_rows  # noqa: E402

from assistant.assess import riskmap as rm  # noqa: E402
from assistant.base.settings import Settings  # noqa: E402
from assistant.base.tuning import JUDGE_MARGIN  # noqa: E402
from assistant.core.service import Service  # noqa: E402
from assistant.text.norm import fold  # noqa: E402

_POINT = re.compile(r"5\s*\(1\)\s*\(?([a-h])\)?|art-5-1-([a-h])")


def practice_of_point() -> dict[str, str]:
    """Point letter of art. 5(1) → the practice fact its entry requires (law data)."""
    out = {}
    for e in rm.ENTRIES:
        m = re.fullmatch(r"art-5-1-([a-h])", e.id)
        judged = [n for n in e.requires if rm.FACTS[n].judge]
        if m and judged:
            out[m.group(1)] = judged[0]
    return out


def points(row: dict) -> set[str]:
    basis = str(row.get("basis") or "") + " " + " ".join(str(g.get("ref", "")) for g in row.get("gold") or [])
    return {a or b for a, b in _POINT.findall(basis.lower())}


def measure(out: Path) -> list[dict]:
    done = {}
    if out.exists():
        done = {r["id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines()) if r}
    svc = Service(Settings.load())
    assessor = svc.assessor
    assessor.phrase = False  # the summary comes after the judgement and does not change it
    rows = [r for r in dev_rows() if r["set"] != "benchmark" and not rm.is_english(fold(r["description"]))]
    result = []
    with out.open("a", encoding="utf-8") as f:
        for r in rows:
            if r["id"] in done:
                result.append(done[r["id"]])
                continue
            text = r["description"]
            reading = assessor._sensed(text)
            sensed = reading.cues
            kw = rm.keyword_facts(text, sensed, reading.facts)
            cued = {n: w for n, w in kw.cued.items() if rm.FACTS[n].judge}
            judged: dict = {}
            if cued:  # the product's own path: the facts request, then the questions on its cached prefix
                judged = assessor.assess(text).extraction.get("judged") or {}
                if not judged:
                    raise SystemExit(
                        "Aucun jugement : le modèle par défaut n'est pas celui des seuils (tuning.JUDGE_MODEL)."
                    )
            rec = {
                "id": r["id"],
                "set": r["set"],
                "gold": r["risk_level"],
                "points": sorted(points(r)),
                "cued": {n: ("sens" if sensed.get(n) == w else "mots") for n, w in cued.items()},
                "margins": {n: v["ecart"] for n, v in judged.items()},
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()
            result.append(rec)
    return result


def measure_every(out: Path) -> None:
    """For every French development description: the product's assessment, then the judge's margin
    for each practice with a judge question (those the product did not ask, asked right after it),
    the senses' best similarity per practice, and the model's first-choice scores of its reading of
    `pratique_interdite`: what could gate the judge for a practice that no cue evokes."""
    done = set()
    if out.exists():
        done = {json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines() if x.strip()}
    svc = Service(Settings.load())
    assessor = svc.assessor
    assessor.phrase = False
    judged_facts = sorted(n for n, f in rm.FACTS.items() if f.judge)
    rows = [r for r in dev_rows() if r["set"] != "benchmark" and not rm.is_english(fold(r["description"]))]
    with out.open("a", encoding="utf-8") as f:
        for r in rows:
            if r["id"] in done:
                continue
            text = r["description"]
            reading = assessor._sensed(text)
            kw = rm.keyword_facts(text, reading.cues, reading.facts)
            senses = reading.practices
            a = assessor.assess(text)
            margins = {n: v["ecart"] for n, v in (a.extraction.get("judged") or {}).items()}
            gen = assessor._scorer(text)
            if gen is None:
                raise SystemExit("Le modèle par défaut ne peut pas juger (tuning.JUDGE_MODEL).")
            choice = dict(getattr(gen, "choice_scores", None) or {})  # the facts request's, kept by the backend
            usage = {"prompt": 0, "completion": 0, "cached": 0}
            extra = assessor._judge(gen, text, {n: "" for n in judged_facts if n not in margins}, usage)
            margins.update({n: round(v.margin, 3) for n, v in extra.items()})
            rec = {
                "id": r["id"],
                "set": r["set"],
                "gold": r["risk_level"],
                "level": a.risk_level,
                "points": sorted(points(r)),
                "cued": sorted(kw.cued),
                "judged": sorted(a.extraction.get("judged") or {}),
                "margins": margins,
                "senses": {n: round(v[0], 3) for n, v in senses.items()},
                "choice": choice,
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            f.flush()


def report_near(rows: list[dict]) -> None:
    """For each similarity gate and opening margin: judge questions per description, and the
    descriptions read « minimal » or « limité » that a practice close in meaning (not cued) would keep
    open, with their labels (a label « à préciser » or « interdit » gains; « minimal », « limité »
    lose; « haut risque » stays wrong)."""
    practices = sorted(JUDGE_MARGIN)
    low = ("minimal", "limited")
    print(f"{len(rows)} descriptions; read low: {sum(r['level'] in low for r in rows)}")
    for gate in (0.54, 0.56, 0.58, 0.60, 0.62):
        for keep in (-1.6, -1.4, -1.2, -1.0, -0.8):
            asked, opened = 0, []
            for r in rows:
                near = [n for n in practices if n not in r["cued"] and r["senses"].get(n, 0.0) >= gate]
                asked += len(near)
                if r["level"] in low and any(r["margins"].get(n, -99.0) >= keep for n in near):
                    opened.append(f"{r['id']}({r['gold']})")
            print(
                f"  near >= {gate:.2f}, kept open >= {keep:+.1f}: {asked / max(1, len(rows)):.2f} question(s) per description; opened: {' '.join(opened) or '-'}"
            )


def report(rows: list[dict]) -> None:
    by_point = practice_of_point()
    for practice in sorted({p for p in by_point.values()}):
        pos, other_proh, neg = [], [], []
        for r in rows:
            if practice not in r["margins"]:
                continue
            m = r["margins"][practice]
            mine = r["gold"] == "prohibited" and any(by_point.get(p) == practice for p in r["points"])
            (pos if mine else other_proh if r["gold"] == "prohibited" else neg).append((m, r["id"], r["gold"]))
        print(
            f"\n{practice} (seuil actuel {JUDGE_MARGIN.get(practice)}) : judged on {len(pos) + len(other_proh) + len(neg)}"
        )
        print("  this point  :", " ".join(f"{m:+.2f}" for m, _, _ in sorted(pos, reverse=True)))
        print("  other point :", " ".join(f"{m:+.2f}" for m, _, _ in sorted(other_proh, reverse=True)))
        print("  not prohib. :", " ".join(f"{m:+.2f}({g[:4]})" for m, _, g in sorted(neg, reverse=True)[:12]))
        for t in (-1.6, -1.4, -1.2, -1.0, -0.8, -0.6, -0.4, -0.2, 0.0):
            a = sum(m >= t for m, _, _ in pos)
            b = sum(m >= t for m, _, _ in other_proh)
            c = sum(m >= t for m, _, _ in neg)
            print(
                f"  >= {t:+.1f}: this point {a}/{len(pos)}, other prohibited {b}/{len(other_proh)}, not prohibited {c}/{len(neg)}"
            )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=Path("eval/runs/calibrate-judge.jsonl"))
    p.add_argument("--every", action="store_true", help="every description, every judged practice (gates)")
    args = p.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.every:
        measure_every(args.out)
        report_near([json.loads(x) for x in args.out.read_text(encoding="utf-8").splitlines() if x.strip()])
        return 0
    report(measure(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
