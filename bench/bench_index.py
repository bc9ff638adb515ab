"""Index benchmark: cold build, warm rebuild, search latency over the dev set.

Prints figures (no assertions). Run with `make bench` on an otherwise idle machine.
Cold build uses a temporary index directory (no embedding cache); the warm rebuild
forces a new generation in that same directory (cache hit for every passage).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from assistant.base.settings import PROJECT_ROOT, Settings
from assistant.search.embed import make_embedder
from assistant.search.index import build_index, load_index
from assistant.search.retrieve import Retriever


def main() -> None:
    settings = Settings.load()
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp)
        embedder = None

        def factory():
            nonlocal embedder
            embedder = embedder or make_embedder(settings)
            return embedder

        name = f"embeddinggemma-300m@{__import__('assistant.ops.models', fromlist=['SPECS']).SPECS['embedder'].sha256[:12]}"
        kw = dict(
            manifest_path=Path(settings.manifest),
            corpus_dir=settings.corpus_path,
            index_dir=index_dir,
            embedder_factory=factory,
            embedder_name=name,
        )
        t0 = time.perf_counter()
        cold = build_index(**kw)
        cold_s = time.perf_counter() - t0
        print(
            f"cold build: {cold_s:.1f} s for {cold.chunks} passages ({cold.embedded} embedded, "
            f"{cold.embedded / cold_s:.1f} passages/s, model load included)"
        )
        warm = []
        for _ in range(runs):
            t0 = time.perf_counter()
            build_index(**kw, force=True)
            warm.append(time.perf_counter() - t0)
        print(
            f"warm rebuild (nothing changed, --force): median {statistics.median(warm):.1f} s over {runs} runs {[f'{w:.1f}' for w in warm]}"
        )
        t0 = time.perf_counter()
        unchanged = build_index(**kw)
        print(
            f"build with nothing changed (no --force): {time.perf_counter() - t0:.2f} s (unchanged={unchanged.unchanged})"
        )

        retriever = Retriever(load_index(index_dir), factory())
        questions = [
            json.loads(x)["question"]
            for x in (PROJECT_ROOT / "eval" / "questions.jsonl").read_text().splitlines()
            if x.strip()
        ]
        retriever.search(questions[0], 5)  # warm-up
        lat = []
        for q in questions:
            t0 = time.perf_counter()
            retriever.search(q, 5)
            lat.append((time.perf_counter() - t0) * 1000)
        lat.sort()
        p = lambda x: lat[min(len(lat) - 1, round(x / 100 * (len(lat) - 1)))]  # noqa: E731
        print(
            f"search latency over {len(lat)} dev questions (query embedding included): "
            f"p50 {p(50):.0f} ms, p95 {p(95):.0f} ms, max {lat[-1]:.0f} ms"
        )


if __name__ == "__main__":
    main()
