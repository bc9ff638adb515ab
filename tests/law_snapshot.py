"""What the law tables produce on the project's own texts, reduced to one digest per item.

Written before the law moved from Python tables to `assistant/law/*.toml`, so that the move
could be proven to change nothing: for every scenario description (French dev and blind sets,
the external English benchmark) the keyword facts, the decision and the keyword-only assessment
(level, grounds, obligations, charter, questions, citations); for every dev question the same
facts and decision, the schedule's subjects and evidence and the thesaurus' topics and
expansion. `tests/test_law_golden.py` compares them with `tests/data/law-golden.json`.

Regenerate after an intended change of the law data (then review the diff of the golden file):
    ASSISTANT_UPDATE_LAW_GOLDEN=1 python -m pytest tests/test_law_golden.py
or, with an index built by the fake embedder: python -m tests.law_snapshot <index_dir>
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from assistant.base.settings import PROJECT_ROOT

GOLDEN = Path(__file__).parent / "data" / "law-golden.json"
# The parts of an assessment that depend on the machine or the clock, not on the law.
_VOLATILE = {"timings", "energy", "tokens", "model"}


def _digest(value: object) -> str:
    raw = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def _jsonl(name: str) -> list[dict]:
    path = PROJECT_ROOT / "eval" / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def descriptions() -> Iterator[tuple[str, str]]:
    """(id, description) of every scenario set the project scores assessments on."""
    from assistant.evaluation.benchmark import SCENARIOS_FILE, external_dir, scenario_lines

    for name in ("scenarios.jsonl", "scenarios-blind.jsonl"):
        for row in _jsonl(name):
            yield f"{name}:{row['id']}", row["description"]
    path = external_dir() / SCENARIOS_FILE
    if path.is_file():
        for row in scenario_lines(path):
            yield f"benchmark:{row['id']}", row["description"]


def questions() -> Iterator[tuple[str, str]]:
    for row in _jsonl("questions.jsonl"):
        yield f"questions:{row['id']}", row["question"]


def _facts_and_decision(text: str) -> dict:
    from assistant.assess import riskmap as rm

    kw = rm.keyword_facts(text)
    facts = rm.blank_facts()
    facts.update(kw.plain())
    d = rm.decide(facts, text, kw.conflicts)

    def grounds(part: list) -> list:
        return [[g.entry.id, g.kind, g.note] for g in part]

    return {
        "keywords": {k: [f.value, f.strength, f.evidence] for k, f in sorted(kw.values.items())},
        "conflicts": kw.conflicts,
        "about_ai": rm.about_ai_use(text),
        "decision": {
            "level": d.level,
            "grounds": grounds(d.grounds),
            "extra": grounds(d.extra),
            "possible": grounds(d.possible),
            "questions": d.questions,
            "reason": d.reason,
        },
    }


def _without_advice(body: dict) -> dict:
    """The assessment as it was before the CNIL's recommendations and the document terms of
    citations (licence, nature: manifest data, not law) were added, so that the older digests
    still prove nothing else moved; the recommendations have their own digest."""
    from assistant.assess.recommendations import HEADING

    def plain(c: dict) -> dict:
        return {k: v for k, v in c.items() if k not in ("licence", "nature")}

    out = {k: v for k, v in body.items() if k != "recommendations"}
    lines, kept, skipping = body["answer"].split("\n"), [], False
    for line in lines:
        if line == HEADING:
            skipping = True
        elif skipping and not line.startswith(("— ", "Source : ")):
            skipping = False
        if not skipping:
            kept.append(line)
    out["answer"] = "\n".join(kept)
    out["citations"] = [plain(c) for c in body["citations"] if not c["doc_id"].startswith("cnil-")]
    for part in ("obligations", "charter"):
        out[part] = [{**it, "citations": [plain(c) for c in it["citations"]]} for it in body.get(part) or []]
    return out


def snapshot(index_dir: Path) -> dict[str, dict]:
    """{item id: {"level": …, "digest": {part: hash}}} for every description and question."""
    from assistant.answer import schedule
    from assistant.assess import assessor
    from assistant.assess import riskmap as rm
    from assistant.base.settings import Settings
    from assistant.core.service import Service
    from assistant.search import thesaurus
    from assistant.training import pack, quizgen

    settings = Settings.load(embedder="fake", llm="fake", index_dir=str(index_dir))
    service = Service(settings)
    chunks = service.index.chunks
    out: dict[str, dict] = {
        "tables": {
            "level": "",
            "digest": {
                "fact_schema": _digest(assessor.fact_schema()),
                "model_fields": _digest(assessor.MODEL_FIELDS),
                "blank_facts": _digest(rm.blank_facts()),
                "questions": _digest({n: f.question for n, f in rm.FACTS.items()}),
                "labels": _digest({n: f.label for n, f in rm.FACTS.items()}),
                "entry_keywords": _digest({e.id: e.keywords for e in rm.ENTRIES}),
                "levels": _digest([rm.LEVELS, rm.RANK, rm.LEVEL_FR]),
                "chapters": _digest([schedule.chapter_of(n) for n in range(1, 114)]),
                "training": _digest([quizgen.SOURCES, pack.KEY_PASSAGES]),
            },
        }
    }
    for key, text in descriptions():
        fd = _facts_and_decision(text)
        body = service.assess_by_keywords(text).to_json()
        advice = body.get("recommendations")
        kept = {k: v for k, v in _without_advice(body).items() if k not in _VOLATILE}
        out[key] = {
            "level": body["risk_level"],
            "digest": {
                "facts": _digest([fd["keywords"], fd["conflicts"], fd["about_ai"]]),
                "decision": _digest(fd["decision"]),
                "obligations": _digest(kept.get("obligations")),
                "charter": _digest(kept.get("charter")),
                "to_clarify": _digest(body.get("to_clarify")),
                "assessment": _digest(kept),
                "recommendations": _digest(advice),
            },
        }
    for key, text in questions():
        fd = _facts_and_decision(text)
        evidence = schedule.schedule_evidence(text, chunks)
        out[key] = {
            "level": fd["decision"]["level"],
            "digest": {
                "facts": _digest([fd["keywords"], fd["conflicts"], fd["about_ai"]]),
                "decision": _digest(fd["decision"]),
                "schedule": _digest(
                    [
                        schedule.asks_date(text),
                        sorted(schedule.subjects(text)),
                        [[c.doc_id, c.ref] for c in evidence],
                        [schedule.date_lines(text, c.text) for c in evidence],
                    ]
                ),
                "thesaurus": _digest([[t.name, t.targets] for t in thesaurus.topics(text)] + [thesaurus.expand(text)]),
            },
        }
    return out


def write(index_dir: Path) -> None:
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    items = sorted(snapshot(index_dir).items())
    lines = (
        f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False, sort_keys=True)}" for k, v in items
    )
    GOLDEN.write_text("{\n" + ",\n".join(lines) + "\n}\n", encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]))
