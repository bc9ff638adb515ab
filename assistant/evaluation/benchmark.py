"""Loader for the external AI Act Evaluation Benchmark (English development half).

Files (in `ASSISTANT_EVAL_EXTERNAL_DIR`, default `<project>/../shared/eval-external`):

- `ai-act-eval-benchmark.qa_pairs.dev.json`: `{"data": [{"question", "answer", "relevant_article"}]}`
  → question lines `bqa-NNN`, gold `ai-act` `art-N`, no keywords, category `benchmark-qa`;
- `ai-act-eval-benchmark.scenarios.dev.json`: `{"data": [{"role", "intended_use", "system_type",
  "input_data", "domain", "related_articles", "obligations", "risk_level"}]}` → scenario lines
  `bsc-NNN`, the description composed from the facts of the case (never from its answer:
  related articles and obligations stay out of it), gold `art-N` from `related_articles`,
  category `benchmark-scenarios`.

Items are converted generically, in file order; none is ever special-cased. The benchmark
is reported on its own (its own run directory and report), not mixed with the French sets.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from assistant.base.errors import AssistantError
from assistant.base.settings import PROJECT_ROOT
from assistant.evaluation.evaluate import AnswerSummary, Assistant, run_answer_eval

QA_FILE = "ai-act-eval-benchmark.qa_pairs.dev.json"
SCENARIOS_FILE = "ai-act-eval-benchmark.scenarios.dev.json"
ENV = "ASSISTANT_EVAL_EXTERNAL_DIR"
PARTS = ("qa", "scenarios", "all")

# Wordings of the benchmark's levels (and close variants) → the project's levels.
_LEVELS = {
    "prohibited": "prohibited",
    "unacceptable": "prohibited",
    "unacceptable-risk": "prohibited",
    "high-risk": "high-risk",
    "high": "high-risk",
    "limited": "limited",
    "limited-risk": "limited",
    "transparency": "limited",
    "minimal": "minimal",
    "minimal-risk": "minimal",
    "low": "minimal",
    "out-of-scope": "out-of-scope",
    "undetermined": "undetermined",
}

NOTES = [
    "Banc d'essai externe : AI Act Evaluation Benchmark (Davvetas et al., 2026, CC BY 4.0), moitié de développement, "
    "en anglais ; questions et scénarios générés par un LLM, non rédigés par des juristes. Rapporté séparément des jeux "
    "français, aucun élément n'est traité au cas par cas.",
    "Questions (benchmark-qa) : pas de mots-clés ; une réponse est jugée exacte si l'article de référence (ou l'une de ses "
    "subdivisions) est cité et si l'assistant ne s'est pas abstenu. La réponse de référence du banc est affichée pour "
    "information, elle n'est pas notée.",
    "Scénarios (benchmark-scenarios) : description composée du rôle, de l'usage prévu, du type de système, des données et "
    "du domaine (en anglais, tels quels) ; le verdict porte sur le niveau de risque. Les articles associés servent de "
    "sources attendues.",
    "Les références du banc visent le texte de 2024 : les réponses sur des articles modifiés par le règlement (UE) 2026/1744 "
    "(articles 4, 5, 6, 10, 25, 50, 99, 111, 113) peuvent légitimement différer.",
]


def external_dir(settings: object | None = None) -> Path:
    """Where the benchmark files are: setting `eval_external_dir` if any, else the env variable, else the default."""
    value = getattr(settings, "eval_external_dir", None) or os.environ.get(ENV)
    return Path(value).expanduser() if value else PROJECT_ROOT.parent / "shared" / "eval-external"


def _read(path: Path) -> list[dict]:
    if not path.is_file():
        raise AssistantError(
            f"Fichier du banc d'essai introuvable : {path}. Indiquez son dossier avec la variable {ENV}."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise AssistantError(f"{path.name} : JSON invalide ({exc}).") from None
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise AssistantError(f"{path.name} : champ « data » (liste) attendu.")
    return items


def map_risk_level(value: object) -> str:
    key = "-".join(str(value).strip().lower().replace("_", " ").replace("-", " ").split())
    if key not in _LEVELS:
        raise AssistantError(
            f"Niveau de risque du banc d'essai inconnu : « {value} » (attendus : prohibited, high-risk, limited, minimal)."
        )
    return _LEVELS[key]


def _article_ref(value: object) -> str:
    try:
        return f"art-{int(str(value).strip())}"
    except ValueError:
        raise AssistantError(f"Numéro d'article du banc d'essai illisible : « {value} ».") from None


def qa_lines(path: Path) -> list[dict]:
    out = []
    for i, item in enumerate(_read(path)):
        if not item.get("question"):
            raise AssistantError(f"{path.name}, élément {i} : champ « question » manquant.")
        out.append(
            {
                "id": f"bqa-{i:03d}",
                "question": str(item["question"]).strip(),
                "answerable": True,
                "gold": [{"doc": "ai-act", "ref": _article_ref(item.get("relevant_article"))}],
                "keywords": [],
                "category": "benchmark-qa",
                "reference_answer": str(item.get("answer", "")).strip(),
            }
        )
    return out


def scenario_description(item: dict) -> str:
    """An English description built from the facts of the case (role, use, system, data, domain)."""
    parts = []
    for key, lead in (
        ("role", "Our organisation acts as the {} of this AI system."),
        ("intended_use", "Intended use: {}."),
        ("system_type", "System type: {}."),
        ("input_data", "Input data: {}."),
        ("domain", "Domain: {}."),
    ):
        value = " ".join(str(item.get(key) or "").split()).rstrip(".")
        if value:
            parts.append(lead.format(value.lower() if key == "role" else value))
    return " ".join(parts)


def scenario_lines(path: Path) -> list[dict]:
    out = []
    for i, item in enumerate(_read(path)):
        description = scenario_description(item)
        if not description:
            raise AssistantError(f"{path.name}, élément {i} : aucun champ descriptif.")
        refs = list(dict.fromkeys(_article_ref(a) for a in item.get("related_articles") or []))
        out.append(
            {
                "id": f"bsc-{i:03d}",
                "description": description,
                "risk_level": map_risk_level(item.get("risk_level")),
                "gold": [{"doc": "ai-act", "ref": r} for r in refs],
                "keywords": [],
                "category": "benchmark-scenarios",
            }
        )
    return out


def load_benchmark(part: str = "all", *, directory: Path | None = None, limit: int | None = None) -> list[dict]:
    """Evaluation lines of the benchmark part(s); `limit` applies to each part."""
    if part not in PARTS:
        raise AssistantError(f"Partie du banc d'essai inconnue : « {part} » (qa, scenarios ou all).")
    d = directory or external_dir()
    lines: list[dict] = []
    if part in ("qa", "all"):
        lines += qa_lines(d / QA_FILE)[: limit or None]
    if part in ("scenarios", "all"):
        lines += scenario_lines(d / SCENARIOS_FILE)[: limit or None]
    return lines


def write_benchmark_set(
    out_dir: Path, part: str = "all", *, directory: Path | None = None, limit: int | None = None
) -> Path:
    """The converted lines as `benchmark.jsonl` in the run directory (what was actually asked)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "benchmark.jsonl"
    lines = load_benchmark(part, directory=directory, limit=limit)
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


def run_benchmark(
    out_dir: Path,
    *,
    service: Assistant,
    settings: object | None = None,
    part: str = "all",
    limit: int | None = None,
    resume: bool = False,
    with_retrieval: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
    show_bar: bool = True,
) -> AnswerSummary:
    path = write_benchmark_set(out_dir, part, directory=external_dir(settings), limit=limit)
    return run_answer_eval(
        path,
        out_dir,
        resume=resume,
        progress=progress,
        service=service,
        with_retrieval=with_retrieval,
        show_bar=show_bar,
        title="Banc d'essai externe — AI Act Evaluation Benchmark (anglais, moitié de développement)",
        notes=NOTES,
    )
