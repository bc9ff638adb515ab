"""Register store benchmark: durable writes (WAL, synchronous=FULL, one transaction each), reads and
the chain check, on a temporary SQLite file. Prints figures (no assertions).

    python bench/bench_register.py [entries]     (default 200 entries, 4 versions each)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from assistant.register.entry import Entry, Obligation
from assistant.register.store import SqliteRegister


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteRegister(Path(tmp) / "register.sqlite3")
        obligations = tuple(Obligation(key=f"k{i}", text="Réaliser une analyse d'impact " * 3) for i in range(12))
        writes: list[float] = []
        for i in range(n):

            def build(entry_id: str, i: int = i) -> Entry:
                return Entry(
                    id=entry_id, version=1, state="draft", title=f"usage {i}", description="Un projet. " * 80,
                    service="RH", contact_role="chef de service", owner="bench", level="high-risk",
                    obligations=obligations,
                )  # fmt: skip

            t = time.perf_counter()
            e = store.create(build, user="bench")
            writes.append(time.perf_counter() - t)
            for state in ("submitted", "decided", "in_service"):
                t = time.perf_counter()
                e = store.append(replace(e, version=e.version + 1, state=state), user="bench", action=state)
                writes.append(time.perf_counter() - t)
        t = time.perf_counter()
        latest = store.latest()
        t_latest = time.perf_counter() - t
        t = time.perf_counter()
        ok, rows, _ = store.verify()
        t_verify = time.perf_counter() - t
        size = (Path(tmp) / "register.sqlite3").stat().st_size
        store.close()
    writes.sort()
    print(f"durable writes: {len(writes)}; median {statistics.median(writes) * 1000:.2f} ms, "
          f"p95 {writes[int(len(writes) * 0.95)] * 1000:.2f} ms")  # fmt: skip
    print(f"latest() over {len(latest)} entries: {t_latest * 1000:.1f} ms; verify() of {rows} rows: "
          f"{t_verify * 1000:.1f} ms (ok={ok}); file {size / 1e6:.1f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
