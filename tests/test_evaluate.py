"""Evaluation harness: scoring on hand-made responses, scenarios, resume, compare, benchmark, CLI smoke."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import pytest

from assistant.base.errors import AssistantError
from assistant.evaluation.benchmark import external_dir, load_benchmark, map_risk_level, scenario_description
from assistant.evaluation.compare import compare_runs, render_text, write_compare
from assistant.evaluation.evaluate import (
    SKIPPED_NO_ASSESS,
    attached_sentences,
    citation_support,
    compute_figures,
    load_lines,
    run_answer_eval,
    score_line,
)
from assistant.evaluation.records import RISK_LEVELS, Record

from .fakes import Scripted

LABEL = "Réponse générée par une IA — à vérifier."
Q99 = (
    "Le non-respect de l'interdiction des pratiques en matière d'IA visées à l'article 5 fait l'objet "
    "d'amendes administratives pouvant aller jusqu'à 35 000 000 EUR"
)
Q26 = "Les déployeurs de systèmes d'IA à haut risque prennent des mesures techniques et organisationnelles appropriées"


# --------------------------------------------------------------------------- helpers (also used by test_report)


def cite(n: int, ref: str, quote: str, doc: str = "ai-act") -> dict:
    return {
        "n": n,
        "doc_id": doc,
        "ref": ref,
        "label": f"{doc} {ref}",
        "page": None,
        "lang": "fr",
        "quote": quote,
        "url": None,
        "amended_by": [],
    }


def response(
    answer: str, citations: list[dict] = (), *, abstained: bool = False, total_ms: float = 1000.0, **extra
) -> dict:
    return {
        "question": "",
        "answer": answer,
        "abstained": abstained,
        "ai_generated": True,
        "label": LABEL,
        "citations": list(citations),
        "model": {"llm": "fake-llm", "embedder": "fake-emb", "corpus_version": "c1"},
        "timings": {"retrieval_ms": 10.0, "ttft_ms": total_ms / 2, "total_ms": total_ms},
        "energy": {"wh": 0.01, "co2e_g": 0.0005, "method": "estimation-cpu : test"},
        "tokens": {"prompt": 500, "completion": 40},
        **extra,
    }


GOOD_99 = response(
    f"L'amende peut aller jusqu'à 35 000 000 EUR [1].\nTexte applicable :\n— art. 99 : « {Q99} » [1]",
    [cite(1, "art-99-3", Q99)],
)
ABSTAIN = response("Les textes ne permettent pas de répondre.", abstained=True)

QUESTIONS = [
    {
        "id": "q1",
        "question": "Quelle amende pour une pratique interdite ?",
        "gold": [{"doc": "ai-act", "ref": "art-99"}],
        "keywords": [["35 000 000", "35 millions"]],
        "category": "sanctions",
    },
    {
        "id": "q2",
        "question": "Quelles obligations pour les déployeurs ?",
        "gold": [{"doc": "ai-act", "ref": "art-26-1"}],
        "keywords": [["mesures techniques"]],
        "category": "deployeurs",
    },
    {
        "id": "u1",
        "question": "Quel temps fera-t-il demain ?",
        "answerable": False,
        "gold": [],
        "keywords": [],
        "category": "hors-corpus",
    },
    {
        "id": "q3",
        "question": "Une amende est-elle prévue ?",
        "gold": [{"doc": "ai-act", "ref": "art-99"}],
        "keywords": [["amende"]],
        "category": "sanctions",
    },
]
SCENARIOS = [
    {
        "id": "s1",
        "description": "Analyser les émotions des agents au travail.",
        "risk_level": "prohibited",
        "gold": [{"doc": "ai-act", "ref": "art-5-1-f"}],
        "keywords": [["interdit"]],
        "category": "rh",
    },
    {
        "id": "s2",
        "description": "Trier les CV des candidats.",
        "risk_level": "high-risk",
        "gold": [{"doc": "ai-act", "ref": "annex-iii-4-a"}],
        "keywords": [["haut risque"]],
        "category": "rh",
    },
    {
        "id": "s3",
        "description": "Un chatbot pour les usagers.",
        "risk_level": "limited",
        "gold": [{"doc": "ai-act", "ref": "art-50-1"}],
        "keywords": [["transparence"]],
        "category": "usagers",
    },
]


class FakeService:
    """Hand-made responses per prompt; counts calls; can fail or be interrupted."""

    def __init__(
        self,
        answers: dict[str, dict],
        *,
        assess: dict[str, dict] | None = None,
        interrupt_after: int | None = None,
        fail: set[str] = frozenset(),
    ):
        self.answers, self.assessments = answers, assess
        self.calls: list[str] = []
        self.interrupt_after, self.fail = interrupt_after, fail
        if assess is None:
            self.assess = None  # no assess yet: scenarios are skipped

    def _call(self, prompt: str, table: dict[str, dict]) -> dict:
        if self.interrupt_after is not None and len(self.calls) >= self.interrupt_after:
            raise KeyboardInterrupt
        self.calls.append(prompt)
        if prompt in self.fail:
            raise RuntimeError("backend down")
        return Scripted(copy.deepcopy(table[prompt]))

    def ask(self, question: str) -> dict:
        return self._call(question, self.answers)

    def assess(self, description: str) -> dict:  # replaced by None when absent
        return self._call(description, self.assessments or {})

    def search(self, query: str, k: int = 5) -> dict:
        ref = "art-99-3" if "amende" in query.lower() else "art-3-1"
        return {
            "query": query,
            "results": [
                {"rank": 1, "doc_id": "ai-act", "ref": "art-4", "score": 0.9},
                {"rank": 2, "doc_id": "ai-act", "ref": ref, "score": 0.8},
            ],
            "timings": {"retrieval_ms": 3.0},
        }


def answers_v1() -> dict[str, dict]:
    return {
        QUESTIONS[0]["question"]: GOOD_99,
        QUESTIONS[1]["question"]: response(
            f"Ils prennent des mesures techniques [1].\n« {Q26} » [1]", [cite(1, "art-26-1", Q26)]
        ),
        QUESTIONS[2]["question"]: ABSTAIN,
        QUESTIONS[3]["question"]: ABSTAIN,
    }


def assessments(levels: dict[str, str]) -> dict[str, dict]:
    out = {}
    for s in SCENARIOS:
        out[s["description"]] = response(
            f"Niveau : {levels[s['id']]}. Ce cas est interdit [1].",
            [cite(1, s["gold"][0]["ref"], "pratique interdite")],
            risk_level=levels[s["id"]],
            obligations=[{"text": "Informer les personnes (transparence).", "citations": [1]}],
            to_clarify=["Qui décide ?"],
            human_decision="Le référent IA décide.",
        )
    return out


def write_set(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def run(tmp: Path, svc: object, lines: list[dict] = QUESTIONS, name: str = "run", **kw) -> object:
    qfile = write_set(tmp / f"{name}.jsonl", lines)
    return run_answer_eval(qfile, tmp / name, service=svc, show_bar=False, **kw)


def stable(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k not in {"generated_at", "started_at", "files"}}


# --------------------------------------------------------------------------- scoring rules


def test_question_scoring_keywords_gold_prefix_and_abstention():
    q = QUESTIONS[0]
    s = score_line(q, GOOD_99)
    assert s["correct"] and s["keywords"] and s["gold_cited"] and not s["fails"]
    # gold ref art-99 matches a citation of art-99-3 (prefix + hyphen), but not art-990
    assert not score_line(q, response("35 000 000 EUR [1]", [cite(1, "art-990", "35 000 000 EUR")]))["gold_cited"]
    # a missing keyword group is reported with its alternatives
    s = score_line(q, response("L'amende est élevée [1].", [cite(1, "art-99-3", Q99)]))
    assert not s["correct"] and s["gold_cited"] and "35 000 000 / 35 millions" in s["fails"][0]
    # gold not cited
    s = score_line(q, response("35 millions d'euros [1].", [cite(1, "art-26-1", "35 millions")]))
    assert not s["correct"] and s["fails"] == ["source attendue non citée"]
    # wrong abstention / abstention on an unanswerable question
    assert score_line(q, ABSTAIN)["fails"][0] == "abstention à tort"
    assert score_line(QUESTIONS[2], ABSTAIN)["correct"]
    s = score_line(QUESTIONS[2], GOOD_99)
    assert not s["correct"] and s["fails"] == ["aurait dû s'abstenir"]
    # doc prefix rule: gold doc ai-act matches a citation of ai-act-2026-1744
    q_doc = {"id": "x", "question": "?", "gold": [{"doc": "ai-act"}], "keywords": []}
    assert score_line(q_doc, response("Voir [1].", [cite(1, "art-1-5", "x", doc="ai-act-2026-1744")]))["correct"]
    # labelled only with ai_generated true and a non-empty label
    assert not score_line(q, {**GOOD_99, "label": ""})["labelled"]


def test_citation_precision_uses_the_answers_support_check():
    answer = (
        f"Le non-respect est passible d'amendes administratives pouvant aller jusqu'à 35 000 000 EUR [1]. "
        f"Le Département doit acheter des licences américaines [2].\nTexte applicable :\n"
        f"— Règlement (UE) 2024/1689, article 99, paragraphe 3 : « {Q99}. » [1]"
    )
    resp = response(answer, [cite(1, "art-99-3", Q99), cite(2, "art-26-1", Q26), cite(3, "art-4", "maîtrise de l'IA")])
    pairs = attached_sentences(answer)
    assert any(m == [1] and s.startswith("« Le non-respect") for s, m in pairs)  # "» [1]" joins the quote
    sup = citation_support(resp)
    assert sup == {1: True, 2: False, 3: False}  # [3] is attached to no sentence
    s = score_line({"id": "x", "question": "?", "gold": [], "keywords": []}, resp)
    assert (s["supported_citations"], s["checked_citations"], s["unsupported"]) == (1, 3, [2, 3])
    # an invented figure is never supported, whatever the words
    bad = response("Amendes administratives jusqu'à 50 000 000 EUR [1].", [cite(1, "art-99-3", Q99)])
    assert citation_support(bad) == {1: False}
    # with an index, the passage (not the quote) is the reference text
    passages = {("ai-act", "art-26-1"): Q26 + " Le Département doit acheter des licences américaines."}
    assert citation_support(resp, passages)[2] is True


def test_scenario_accuracy_and_confusion_matrix():
    recs = []
    predicted = {"s1": "prohibited", "s2": "limited", "s3": "limited"}
    table = assessments(predicted)
    for s in SCENARIOS:
        r = table[s["description"]]
        recs.append(Record(s, {"id": s["id"], **r}, score_line(s, r)))
    assert [r.score["correct"] for r in recs] == [True, False, True]
    assert recs[1].score["fails"] == ["niveau de risque : attendu haut risque, obtenu transparence"]
    assert recs[0].score["complete"] and recs[0].score["keywords"]  # "interdit" is in the answer
    assert recs[2].score["keywords"] and recs[2].score["complete"]  # "transparence" is in the obligations
    assert not recs[1].score["complete"]
    f = compute_figures(recs)
    sc = f["scenarios"]
    assert sc["ran"] == 3 and sc["risk_accuracy"] == pytest.approx(2 / 3)
    assert sc["confusion"]["high-risk"]["limited"] == 1 and sc["confusion"]["prohibited"]["prohibited"] == 1
    assert sc["per_level"]["limited"]["precision"] == pytest.approx(0.5)
    assert set(sc["labels"]) == set(RISK_LEVELS)
    assert f["by_category"]["rh"]["risk_accuracy"] == pytest.approx(0.5)


def test_load_lines_rejects_duplicates_and_unknown_levels(tmp_path):
    a = write_set(tmp_path / "a.jsonl", QUESTIONS[:1])
    with pytest.raises(AssistantError, match="double"):
        load_lines([a, a])
    bad = write_set(tmp_path / "b.jsonl", [{**SCENARIOS[0], "risk_level": "dangerous"}])
    with pytest.raises(AssistantError, match="inconnu"):
        load_lines(bad)


# --------------------------------------------------------------------------- runs


def test_run_writes_results_scores_report_and_figures(tmp_path):
    svc = FakeService(answers_v1())
    summary = run(tmp_path, svc, QUESTIONS + SCENARIOS)
    out = tmp_path / "run"
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [x["id"] for x in lines] == ["q1", "q2", "u1", "q3"]  # scenarios skipped: no assess yet
    f = json.loads((out / "report.json").read_text())
    assert f["n_answerable"] == 3 and f["answer_correct"] == pytest.approx(2 / 3)
    assert f["abstention_correct"] == 1.0 and f["false_abstention"] == pytest.approx(1 / 3)
    assert (
        f["scenarios"]["skipped"] == 3
        and f["scenarios"]["ran"] == 0
        and f["scenarios"]["skipped_reason"] == SKIPPED_NO_ASSESS
    )
    assert f["retrieval"]["source"] == "citations" and f["retrieval"]["recall@1"] == pytest.approx(2 / 3)
    assert f["citation_precision"] == 1.0 and f["labelled"] == 1.0
    assert f["citations"] == 2 and f["bad_quotes"] == 0  # no index: quotes are not checked
    assert f["latency_ms"]["total_ms"]["p50"] == 1000.0 and f["tokens"]["prompt"]["total"] == 2000
    assert f["energy"]["wh_total"] == pytest.approx(0.04) and f["energy"]["method"] == "estimation-cpu"
    assert f["by_category"]["sanctions"]["correct"] == 0.5
    scores = [json.loads(x) for x in (out / "scores.jsonl").read_text().splitlines()]
    assert [s["status"] for s in scores][-3:] == ["skipped"] * 3 and scores[-1]["correct"] is None
    assert (out / "report.html").is_file()
    assert "Scénarios non évalués : 3" in summary.render()


def test_run_sends_scenarios_to_assess_and_measures_retrieval(tmp_path):
    levels = {"s1": "prohibited", "s2": "high-risk", "s3": "minimal"}
    svc = FakeService(answers_v1(), assess=assessments(levels))
    summary = run(tmp_path, svc, QUESTIONS + SCENARIOS, with_retrieval=True)
    f = summary.figures
    assert svc.calls[-3:] == [s["description"] for s in SCENARIOS]
    assert f["scenarios"]["ran"] == 3 and f["scenarios"]["risk_accuracy"] == pytest.approx(2 / 3)
    assert f["retrieval"]["source"] == "search" and f["retrieval"]["n"] == 3
    assert f["retrieval"]["recall@1"] == 0.0 and f["retrieval"]["recall@5"] == pytest.approx(2 / 3)
    assert f["retrieval"]["mrr"] == pytest.approx((0.5 + 0.5) / 3)
    line = json.loads((tmp_path / "run" / "results.jsonl").read_text().splitlines()[0])
    assert line["retrieval"]["results"][1]["ref"] == "art-99-3"


def test_resume_after_interrupt_and_truncated_line(tmp_path):
    lines = QUESTIONS + SCENARIOS
    full = run(
        tmp_path,
        FakeService(answers_v1(), assess=assessments({"s1": "prohibited", "s2": "high-risk", "s3": "limited"})),
        lines,
        name="full",
    )
    # Interrupted after 4 calls, then the last written line is cut in the middle (crash while writing).
    svc = FakeService(
        answers_v1(), assess=assessments({"s1": "prohibited", "s2": "high-risk", "s3": "limited"}), interrupt_after=4
    )
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, svc, lines, name="cut")
    results = tmp_path / "cut" / "results.jsonl"
    text = results.read_text()
    assert text.count("\n") == 4
    results.write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])  # q3 cut, no final newline
    svc2 = FakeService(answers_v1(), assess=assessments({"s1": "prohibited", "s2": "high-risk", "s3": "limited"}))
    resumed = run(tmp_path, svc2, lines, name="cut", resume=True)
    assert svc2.calls == [QUESTIONS[3]["question"]] + [s["description"] for s in SCENARIOS]  # q3 redone, nothing else
    ids = [json.loads(x)["id"] for x in results.read_text().splitlines()]
    assert sorted(ids) == sorted(x["id"] for x in lines) and len(ids) == len(set(ids))
    a, b = stable(full.figures), stable(resumed.figures)
    for key in (
        "latency_ms",
        "energy",
        "tokens",
        "ttft_ms_p50",
        "ttft_ms_p90",
        "total_ms_p50",
        "total_ms_p90",
        "wh_p50",
        "wh_p90",
    ):
        assert a.pop(key) == b.pop(key)
    assert a == b
    # resuming a finished run asks nothing
    svc3 = FakeService(answers_v1(), assess={})
    run(tmp_path, svc3, lines, name="cut", resume=True)
    assert svc3.calls == []


def test_errors_are_failures_and_redone_on_resume(tmp_path):
    svc = FakeService(answers_v1(), fail={QUESTIONS[1]["question"]})
    summary = run(tmp_path, svc, QUESTIONS)
    assert summary.figures["errors"][0]["id"] == "q2" and "backend down" in summary.figures["errors"][0]["error"]
    assert summary.figures["answer_correct"] == pytest.approx(1 / 3)
    assert "q2" not in (tmp_path / "run" / "results.jsonl").read_text()
    row = [json.loads(x) for x in (tmp_path / "run" / "scores.jsonl").read_text().splitlines()][1]
    assert row["status"] == "error" and row["fails"] == ["erreur : RuntimeError : backend down"] and not row["correct"]
    svc2 = FakeService(answers_v1())
    summary = run(tmp_path, svc2, QUESTIONS, resume=True)
    assert svc2.calls == [QUESTIONS[1]["question"]] and not summary.figures["errors"]


def test_consecutive_errors_stop_the_run(tmp_path):
    many = [{**QUESTIONS[0], "id": f"e{i}"} for i in range(8)]
    svc = FakeService(answers_v1(), fail={QUESTIONS[0]["question"]})
    with pytest.raises(AssistantError, match="--resume"):
        run(tmp_path, svc, many)
    assert len(svc.calls) == 5


# --------------------------------------------------------------------------- compare


def _hand_run(d: Path, correct: dict[str, bool], answer_correct: float, total_p50: float) -> Path:
    d.mkdir()
    (d / "report.json").write_text(
        json.dumps(
            {
                "title": d.name,
                "answer_correct": answer_correct,
                "citation_precision": 0.9,
                "latency_ms": {"total_ms": {"p50": total_p50}},
                "by_category": {"sanctions": {"n": 2, "evaluated": 2, "correct": answer_correct}},
            }
        )
    )
    (d / "scores.jsonl").write_text(
        "".join(
            json.dumps(
                {"id": i, "category": "sanctions", "text": f"Question {i} ?", "correct": c, "fails": [] if c else ["x"]}
            )
            + "\n"
            for i, c in correct.items()
        )
    )
    return d


def test_compare_lists_flips_and_metric_deltas(tmp_path):
    a = _hand_run(tmp_path / "a", {"q1": False, "q2": True, "q3": False, "q4": True}, 0.5, 2000.0)
    b = _hand_run(tmp_path / "b", {"q1": True, "q2": False, "q3": False, "q4": True, "q5": True}, 0.6, 1500.0)
    cmp = compare_runs(a, b)
    assert [x["id"] for x in cmp["improved"]] == ["q1"] and [x["id"] for x in cmp["regressed"]] == ["q2"]
    assert cmp["still_failing"] == 1 and cmp["only_in_b"] == ["q5"]
    m = {x["metric"]: x for x in cmp["metrics"]}
    assert m["answer_correct"]["delta"] == pytest.approx(0.1) and m["answer_correct"]["change"] == "mieux"
    assert m["latency_ms.total_ms.p50"]["change"] == "mieux"  # lower latency is better
    assert m["citation_precision"]["change"] == "stable"
    assert cmp["categories"]["sanctions"]["metrics"][0]["change"] == "mieux"
    text = render_text(cmp)
    assert "Améliorées (✗ → ✓) : 1" in text and "q2" in text
    path = write_compare(cmp)
    assert path == b / "compare.html" and "Dégradées" in path.read_text()
    assert write_compare(cmp, tmp_path / "elsewhere").parent == tmp_path / "elsewhere"


def test_compare_two_real_runs(tmp_path):
    run(tmp_path, FakeService(answers_v1()), name="a")
    better = answers_v1()
    better[QUESTIONS[3]["question"]] = response("Une amende est prévue [1].", [cite(1, "art-99-3", Q99)])
    better[QUESTIONS[0]["question"]] = ABSTAIN
    run(tmp_path, FakeService(better), name="b")
    cmp = compare_runs(tmp_path / "a", tmp_path / "b")
    assert [x["id"] for x in cmp["improved"]] == ["q3"] and [x["id"] for x in cmp["regressed"]] == ["q1"]
    assert not any(m["metric"].startswith("scenarios.") for m in cmp["metrics"])  # no scenario in either run
    assert cmp["regressed"][0]["fails_b"] == [
        "abstention à tort",
        "mots-clés manquants : 35 000 000 / 35 millions",
        "source attendue non citée",
    ]


# --------------------------------------------------------------------------- benchmark


def _bench_dir(tmp_path: Path) -> Path:
    d = tmp_path / "ext"
    d.mkdir()
    (d / "ai-act-eval-benchmark.qa_pairs.dev.json").write_text(
        json.dumps(
            {
                "license": "CC BY 4.0",
                "data": [
                    {
                        "question": "What is a deployer?",
                        "answer": "A person using an AI system.",
                        "relevant_article": 3,
                    },
                    {"question": "What are the penalties?", "answer": "Fines.", "relevant_article": "99"},
                ],
            }
        )
    )
    (d / "ai-act-eval-benchmark.scenarios.dev.json").write_text(
        json.dumps(
            {
                "data": [
                    {
                        "role": "Deployer",
                        "intended_use": "Screen job applications",
                        "system_type": "CV ranking",
                        "input_data": "CVs",
                        "domain": "Employment",
                        "related_articles": [6, 26, 6],
                        "obligations": ["Register (Article 49)."],
                        "risk_level": "High-Risk",
                    },
                    {
                        "role": "Provider",
                        "intended_use": "Chat with citizens",
                        "system_type": "Chatbot",
                        "input_data": "Text",
                        "domain": "Public services",
                        "related_articles": [50],
                        "obligations": [],
                        "risk_level": "limited",
                    },
                    {
                        "role": "Provider",
                        "intended_use": "Spam filter",
                        "system_type": "Classifier",
                        "input_data": "E-mails",
                        "domain": "IT",
                        "related_articles": [],
                        "obligations": [],
                        "risk_level": "minimal",
                    },
                    {
                        "role": "Provider",
                        "intended_use": "Social scoring",
                        "system_type": "Scoring",
                        "input_data": "Behaviour",
                        "domain": "Public",
                        "related_articles": [5],
                        "obligations": [],
                        "risk_level": "prohibited",
                    },
                ]
            }
        )
    )
    return d


def test_benchmark_loader_maps_fields_and_levels(tmp_path, monkeypatch):
    d = _bench_dir(tmp_path)
    monkeypatch.setenv("ASSISTANT_EVAL_EXTERNAL_DIR", str(d))
    lines = load_benchmark("all")
    qa, sc = lines[:2], lines[2:]
    assert qa[0] == {
        "id": "bqa-000",
        "question": "What is a deployer?",
        "answerable": True,
        "gold": [{"doc": "ai-act", "ref": "art-3"}],
        "keywords": [],
        "category": "benchmark-qa",
        "reference_answer": "A person using an AI system.",
    }
    assert qa[1]["gold"] == [{"doc": "ai-act", "ref": "art-99"}]
    assert [x["id"] for x in sc] == ["bsc-000", "bsc-001", "bsc-002", "bsc-003"]
    assert [x["risk_level"] for x in sc] == ["high-risk", "limited", "minimal", "prohibited"]
    assert sc[0]["gold"] == [{"doc": "ai-act", "ref": "art-6"}, {"doc": "ai-act", "ref": "art-26"}]
    assert sc[0]["category"] == "benchmark-scenarios" and sc[0]["keywords"] == []
    desc = sc[0]["description"]
    assert "deployer" in desc and "Screen job applications" in desc and "CVs" in desc and "Employment" in desc
    assert "Article 49" not in desc and "Register" not in desc  # the answer never leaks into the question
    assert len(load_benchmark("qa", limit=1)) == 1 and len(load_benchmark("scenarios", limit=2)) == 2
    assert map_risk_level("Unacceptable") == "prohibited" and map_risk_level("limited_risk") == "limited"
    with pytest.raises(AssistantError):
        map_risk_level("catastrophic")
    assert scenario_description({"intended_use": "X"}) == "Intended use: X."


def test_benchmark_run_is_reported_separately(tmp_path, monkeypatch):
    from assistant.evaluation.benchmark import run_benchmark

    d = _bench_dir(tmp_path)
    monkeypatch.setenv("ASSISTANT_EVAL_EXTERNAL_DIR", str(d))
    svc = FakeService(
        {
            "What is a deployer?": response("A deployer [1].", [cite(1, "art-3-4", "deployer")]),
            "What are the penalties?": ABSTAIN,
        }
    )
    summary = run_benchmark(tmp_path / "bench", service=svc, part="qa", show_bar=False)
    f = summary.figures
    assert f["answer_correct"] == 0.5 and "Banc d'essai externe" in f["title"] and f["notes"]
    html = (tmp_path / "bench" / "report.html").read_text()
    assert "Réponse de référence" in html and "mots-clés" in html
    assert (tmp_path / "bench" / "benchmark.jsonl").read_text().count("\n") == 2


@pytest.mark.skipif(not external_dir().is_dir(), reason="banc d'essai externe absent")
def test_benchmark_real_files_load():
    lines = load_benchmark("all")
    assert all(x["risk_level"] in RISK_LEVELS for x in lines if "risk_level" in x)
    assert lines[0]["id"] == "bqa-000" and any(x["id"] == "bsc-000" for x in lines)


# --------------------------------------------------------------------------- datasets


def test_scenario_set_is_valid_and_balanced():
    from assistant.base.settings import PROJECT_ROOT
    from assistant.text.norm import fold

    lines = load_lines(PROJECT_ROOT / "eval" / "scenarios.jsonl")
    assert len(lines) >= 60
    counts = {lvl: sum(1 for x in lines if x["risk_level"] == lvl) for lvl in RISK_LEVELS}
    assert all(counts[lvl] >= 8 for lvl in ("prohibited", "high-risk", "limited", "minimal"))
    assert counts["out-of-scope"] >= 5 and counts["undetermined"] >= 5
    assert [x["id"] for x in lines] == [f"s{i:03d}" for i in range(1, len(lines) + 1)]
    for x in lines:
        assert x["gold"] and x["keywords"] and x["category"]
        for group in x["keywords"]:
            assert not any(fold(alt) in fold(x["description"]) for alt in group), x["id"]


# --------------------------------------------------------------------------- CLI smoke (fake backend)


def _eval_cli(argv: list[str], settings: object) -> int:
    from assistant.cli.eval import add_eval_parser

    p = argparse.ArgumentParser(prog="assistant")
    p.add_argument("--json", action="store_true")
    add_eval_parser(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    return args.func(args, settings)


def test_eval_run_smoke_with_fake_backend(fake_settings, tmp_path, capsys):
    from assistant.base.settings import PROJECT_ROOT

    out = tmp_path / "smoke"
    argv = [
        "eval",
        "run",
        "--questions",
        str(PROJECT_ROOT / "eval" / "questions.jsonl"),
        "--out",
        str(out),
        "--limit",
        "3",
    ]
    assert _eval_cli(argv, fake_settings) == 0
    printed = capsys.readouterr().out
    assert "Questions : 3" in printed and "report.html" in printed
    assert len((out / "results.jsonl").read_text().splitlines()) == 3
    f = json.loads((out / "report.json").read_text())
    assert f["n"] == 3 and f["labelled"] == 1.0 and f["bad_quotes"] == 0 and f["citations"] > 0
    assert "<svg" in (out / "report.html").read_text()
    # the same run again with --resume asks nothing more and keeps three lines
    assert _eval_cli([*argv, "--resume"], fake_settings) == 0
    assert len((out / "results.jsonl").read_text().splitlines()) == 3
    # compare the run with itself: nothing flips
    assert _eval_cli(["eval", "compare", str(out), str(out), "--out", str(tmp_path / "cmp")], fake_settings) == 0
    assert "Améliorées (✗ → ✓) : 0" in capsys.readouterr().out
    # retrieval-only report
    assert (
        _eval_cli(
            [
                "eval",
                "run",
                "--questions",
                str(PROJECT_ROOT / "eval" / "questions.jsonl"),
                "--out",
                str(tmp_path / "ret"),
                "--limit",
                "3",
                "--only-retrieval",
            ],
            fake_settings,
        )
        == 0
    )
    assert json.loads((tmp_path / "ret" / "report.json").read_text())["retrieval"]["n"] == 3
    assert (tmp_path / "ret" / "report.html").is_file()


def test_quotes_are_checked_against_the_index(tmp_path):
    from types import SimpleNamespace

    answers = answers_v1()
    answers[QUESTIONS[3]["question"]] = response("Amende [1].", [cite(1, "art-99-3", "une amende de 99 EUR")])
    svc = FakeService(answers)
    chunk = SimpleNamespace(doc_id="ai-act", ref="art-99", text=Q99, context="article 99 — Sanctions", spans=())
    chunk.spans = (SimpleNamespace(ref="art-99-3"),)
    other = SimpleNamespace(doc_id="ai-act", ref="art-26-1", text=Q26, context="article 26", spans=())
    svc.index = SimpleNamespace(chunks=[chunk, other])
    summary = run(tmp_path, svc)
    assert summary.figures["bad_quotes"] == 1
    q3 = next(r for r in summary.records if r.q["id"] == "q3")
    assert "1 extrait(s) absent(s) du passage cité" in q3.score["warnings"]
