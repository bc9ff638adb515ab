"""A follow-up question's first useful content and total time, next to a first question's.

Usage: python bench/bench_conversation.py [RUNS=3]   (real models: ASSISTANT_LLM, default 1.5B)
Run it under `flock /tmp/assistant-cpu.lock` on a shared machine. One process, as the server:
a warm-up question first (loads the embedder, the index and the GGUF), then RUNS pairs of a
first question and its follow-up. « First useful content » is the first streamed piece of the
answer text (what the agent sees first), measured from the call. Prints figures only.
"""

from __future__ import annotations

import statistics
import sys
import time

from assistant.base.settings import Settings
from assistant.core.conversation import ConversationStore, converse
from assistant.core.service import Service

PAIRS = [
    ("Quelle amende risque-t-on pour une pratique interdite ?", "Et pour la transparence ?"),
    ("Qui doit réaliser une analyse d'impact sur les droits fondamentaux ?", "Et à qui notifier ses résultats ?"),
    ("Quelles pratiques d'IA sont interdites par l'article 5 ?", "Et depuis quand ?"),
]


def timed(svc: Service, turns: list, question: str) -> tuple[float, float, object]:
    t0 = time.perf_counter()
    first: list[float] = []

    def on_token(_piece: str) -> None:
        if not first:
            first.append(time.perf_counter() - t0)

    ex = converse(svc, turns, question, on_token=on_token)
    total = time.perf_counter() - t0
    return (first[0] if first else total), total, ex


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    svc = Service(Settings.load())
    t0 = time.perf_counter()
    svc.ask("Qu'est-ce qu'un système d'IA ?")
    print(f"warm-up (loads embedder, index, GGUF): {time.perf_counter() - t0:.1f} s")
    store = ConversationStore()
    figures: dict[str, list[tuple[float, float]]] = {"first": [], "followup": []}
    for first_q, follow_q in (PAIRS * runs)[:runs]:
        conv = store.new("bench")
        ttfc, total, ex = timed(svc, [], first_q)
        figures["first"].append((ttfc, total))
        conv.add(ex.turn({**ex.response.to_json(), **ex.fields(conv)}))
        ttfc, total, ex2 = timed(svc, list(conv.turns), follow_q)
        figures["followup"].append((ttfc, total))
        print(f"  {follow_q!r} understood as {ex2.resolution.understood!r}")
    for kind, values in figures.items():
        firsts, totals = [v[0] for v in values], [v[1] for v in values]
        print(
            f"{kind:<9} n={len(values)}  first useful content median {statistics.median(firsts):.1f} s "
            f"(max {max(firsts):.1f})  total median {statistics.median(totals):.1f} s (max {max(totals):.1f})"
        )


if __name__ == "__main__":
    main()
