"""What the commands print: JSON documents, messages on stderr, an answer with its sources and figures."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


def err(msg: str) -> None:
    print(msg, file=sys.stderr)


def page_suffix(page: int | None) -> str:
    return f", p. {page}" if page else ""


class StderrStream:
    """`on_token` for a streamed answer: pieces on stderr after « … », closed by `end()` if any came."""

    def __init__(self) -> None:
        self.started = False

    def __call__(self, piece: str) -> None:
        if not self.started:
            print("… ", end="", file=sys.stderr)
        self.started = True
        print(piece, end="", file=sys.stderr, flush=True)

    def end(self) -> None:
        if self.started:
            print(file=sys.stderr)


def print_response(out: Mapping[str, Any], *, first_word: bool = True) -> None:
    """An answer or an assessment: its text, its numbered sources, the AI label, model, time and energy."""
    print(out["answer"])
    print()
    for c in out["citations"]:
        amended = f" — modifié par {', '.join(c['amended_by'])}" if c["amended_by"] else ""
        print(f"[{c['n']}] {c['label']}{page_suffix(c['page'])}{amended}")
    t, e = out["timings"], out["energy"]
    first = f" (premier mot {t['ttft_ms'] / 1000:.1f} s)" if first_word else ""
    print(f"\n{out['label']}")
    print(
        f"Modèle : {out['model']['llm']} · corpus {out['model']['corpus_version']} · {t['total_ms'] / 1000:.1f} s{first} · "
        f"{e['wh']:.4f} Wh, {e['co2e_g']:.4f} gCO2e ({e['method'].split(' :')[0]})"
    )


__all__ = ["StderrStream", "err", "page_suffix", "print_json", "print_response"]
