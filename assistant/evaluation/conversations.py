"""Evaluation of conversations: every turn scored like a question, first turns and follow-ups apart.

A line of `eval/conversations.jsonl`:

    {"id": "c01", "category": "ai-act", "turns": [
        {"question": "…", "gold": [{"doc": "ai-act", "ref": "art-99-3"}], "keywords": [["35 000 000"]], "answerable": true},
        {"question": "Et pour la transparence ?", "gold": […], "keywords": […], "answerable": true}]}

Each turn is sent in its conversation (`chat(question, conversation_id)`, given by the entry
point: the conversation logic lives in core, above this layer) and scored by `score_line`.
The figures are `compute_figures` of the first turns and of the follow-ups separately, plus
`carried_wrongly`: follow-ups that name another provision yet cite one the previous turn cited
(that their own gold does not hold).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from assistant.answer.followup import related
from assistant.base.errors import AssistantError
from assistant.evaluation.evaluate import citations_of, compute_figures, gold_matches, score_line
from assistant.evaluation.records import Record, jsonl_lines
from assistant.search.retrieve import named_refs

Chat = Callable[[str, str | None], dict]  # (question, conversation id or None) → the turn's JSON


def is_conversation_file(path: Path) -> bool:
    """Whether a JSONL file holds conversations (its first line has « turns »)."""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                return "turns" in json.loads(line)
            except ValueError:
                return False
    return False


def load_conversations(path: Path) -> list[dict]:
    out = []
    for n, c in jsonl_lines(path, "conversations"):
        turns = c.get("turns")
        if "id" not in c or not isinstance(turns, list) or not turns or not all(t.get("question") for t in turns):
            raise AssistantError(
                f"{Path(path).name}, ligne {n} : champs « id » et « turns » (avec leurs questions) requis."
            )
        out.append(c)
    return out


def _lines(conv: dict) -> list[dict]:
    """The turns as question lines of the usual format (id c01#2, category, answerable)."""
    return [
        {**t, "id": f"{conv['id']}#{i}", "category": conv.get("category", "?"), "answerable": t.get("answerable", True)}
        for i, t in enumerate(conv["turns"], 1)
    ]


def carried_wrongly(q: dict, resp: dict, previous: dict | None) -> bool:
    """A follow-up naming a provision cites one the previous answer cited, other than the named one, its
    lead-in, a part of it, an amendment of a provision cited, or its gold."""
    named = named_refs(q["question"])
    if previous is None or not named:
        return False
    before = {(c["doc_id"], c["ref"]) for c in citations_of(previous)}
    gold = q.get("gold") or []
    cites = citations_of(resp)
    amendments = {a for c in cites for a in c.get("amended_by") or []}

    def allowed(c: dict) -> bool:
        key = f"{c['doc_id']}:{c['ref']}"
        return (
            any(related(key, n) for n in named)
            or key in amendments
            or any(gold_matches(g, c["doc_id"], c["ref"]) for g in gold)
        )

    return any((c["doc_id"], c["ref"]) in before and not allowed(c) for c in cites)


@dataclass
class ConversationSummary:
    figures: dict

    def render(self) -> str:
        f = self.figures
        lines = [f"Conversations : {f['conversations']} ({f['turns']} tours)"]
        for key, head in (("first", "premiers tours"), ("followup", "questions de suite")):
            x = f[key]
            lines.append(
                f"  {head:<20} n={x['n']:<3} exactitude (répondables) {x['answer_correct']:.3f} "
                f"[n={x['n_answerable']}] ; abstention (hors corpus) {x['abstention_correct']:.3f} "
                f"[n={x['n_unanswerable']}] ; source attendue citée {x['gold_cited']:.3f}"
            )
        lines.append(
            f"  écart d'exactitude (suite − premier) : {f['gap']:+.3f} ; questions de suite citant à tort les "
            f"dispositions du tour précédent : {f['carried_wrongly']}"
        )
        if f["errors"]:
            lines.append(f"  erreurs : {len(f['errors'])} tour(s)")
        return "\n".join(lines)


def run_conversation_eval(
    paths: Path | Sequence[Path],
    out_dir: Path,
    *,
    chat: Chat,
    limit: int | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> ConversationSummary:
    """Play every conversation turn by turn, score each turn, write results.jsonl, scores.jsonl, report.json."""
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    convs = [c for p in files for c in load_conversations(Path(p))]
    if limit:
        convs = convs[:limit]
    out_dir.mkdir(parents=True, exist_ok=True)
    first: list[Record] = []
    follow: list[Record] = []
    wrong: list[str] = []
    written = (out_dir / "results.jsonl").open("w", encoding="utf-8")  # turn by turn: a cut run keeps its turns
    started = datetime.now().isoformat(timespec="seconds")
    try:
        for n, conv in enumerate(convs, 1):
            cid: str | None = None
            previous: dict | None = None
            for i, q in enumerate(_lines(conv)):
                rec = Record(q)
                try:
                    resp = chat(q["question"], cid)
                except Exception as exc:  # one failing turn must not stop the run; the rest of the conversation goes
                    rec.status, rec.note = "error", f"{type(exc).__name__} : {exc}"
                    rec.score = score_line(q, {})
                    (first if i == 0 else follow).append(rec)
                    break
                cid = resp.get("conversation_id")
                rec.resp, rec.score = resp, score_line(q, resp)
                rec.score["followup_detected"] = bool(resp.get("followup"))
                if i and carried_wrongly(q, resp, previous):
                    rec.score["carried_wrongly"] = True
                    wrong.append(q["id"])
                (first if i == 0 else follow).append(rec)
                written.write(json.dumps({"id": q["id"], **resp}, ensure_ascii=False) + "\n")
                written.flush()
                previous = resp
            progress(f"conversation {conv['id']} ({n}/{len(convs)})")
        figures_first = compute_figures(first)
        figures_follow = compute_figures(follow)
        figures = {
            "mode": "conversations",
            "conversations": len(convs),
            "turns": len(first) + len(follow),
            "first": figures_first,
            "followup": figures_follow,
            "gap": figures_follow["answer_correct"] - figures_first["answer_correct"],
            "carried_wrongly": len(wrong),
            "carried_wrongly_ids": wrong,
            "errors": [{"id": r.q["id"], "error": r.note} for r in first + follow if r.status == "error"],
            "started_at": started,
            "generated_at": datetime.now().isoformat(timespec="seconds"),
            "files": [str(p) for p in files],
        }
    finally:
        written.close()
    scores = [
        {"id": r.q["id"], "turn": "first" if r in first else "followup", "text": r.q["question"], **(r.score or {})}
        for r in first + follow
    ]
    _dump(out_dir / "scores.jsonl", "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in scores))
    _dump(out_dir / "report.json", json.dumps(figures, ensure_ascii=False, indent=1))
    return ConversationSummary(figures)


def _dump(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


__all__ = ["Chat", "ConversationSummary", "carried_wrongly", "is_conversation_file", "load_conversations",
           "run_conversation_eval"]  # fmt: skip
