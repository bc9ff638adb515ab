"""Service benchmark on loopback: /v1/search and /v1/ask under a few concurrent clients.

Starts `assistant serve --no-ui` on a free loopback port, waits for /health, then:
- search: C clients × R requests each; throughput and latency p50/p95;
- ask: C clients × R questions each; latency p50/p90, and how many got 503 `busy`
  (the single local LLM answers one question at a time; the API queues at most
  ASSISTANT_ASK_QUEUE requests and refuses the rest with a clear 503, never a timeout);
- peak memory (VmHWM) of the serving process.
Prints figures only. Usage: python bench/bench_service.py [clients=4] [search_requests=25] [ask_questions=2]
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))] if s else 0.0


def run_clients(n: int, work) -> tuple[list[float], list[int], float]:
    lat: list[float] = []
    codes: list[int] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        with httpx.Client(timeout=None) as c:
            for item in work(i):
                t0 = time.perf_counter()
                r = c.post(item[0], json=item[1])
                dt = time.perf_counter() - t0
                with lock:
                    lat.append(dt)
                    codes.append(r.status_code)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return lat, codes, time.perf_counter() - t0


def main() -> None:
    clients = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    n_search = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    n_ask = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    questions = [
        json.loads(x)["question"] for x in (ROOT / "eval" / "questions.jsonl").read_text().splitlines() if x.strip()
    ]
    port = free_port()
    env = dict(os.environ, ASSISTANT_VAR_DIR=str(Path("/tmp") / f"bench-var-{port}"))
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "assistant"), "serve", "--no-ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        httpx.post(base + "/v1/ask", json={"question": questions[0]}, timeout=None)  # load models, fill the KV cache
        lat, codes, wall = run_clients(
            clients,
            lambda i: [
                (base + "/v1/search", {"query": questions[(i * n_search + j) % len(questions)], "k": 5})
                for j in range(n_search)
            ],
        )
        print(
            f"/v1/search: {clients} clients × {n_search} requests: {len(lat) / wall:.1f} req/s, "
            f"p50 {pct(lat, 50) * 1000:.0f} ms, p95 {pct(lat, 95) * 1000:.0f} ms, codes {sorted(set(codes))}"
        )
        lat, codes, wall = run_clients(
            clients,
            lambda i: [
                (base + "/v1/ask", {"question": questions[(7 * i + 3 * j + 11) % len(questions)]}) for j in range(n_ask)
            ],
        )
        ok = [t for t, c in zip(lat, codes, strict=True) if c == 200]
        busy = sum(1 for c in codes if c == 503)
        print(
            f"/v1/ask: {clients} clients × {n_ask} questions: {len(ok)} answered, {busy} refused with 503 busy, "
            f"{len(ok) / wall * 60:.1f} answers/min, latency p50 {pct(ok, 50):.1f} s, p90 {pct(ok, 90):.1f} s "
            f"(queueing included: one LLM, one answer at a time)"
        )
        status = Path(f"/proc/{proc.pid}/status").read_text()
        hwm = next(line for line in status.splitlines() if line.startswith("VmHWM"))
        print(f"peak memory of the serving process: {int(hwm.split()[1]) / 1024:.0f} MiB")
        print(f"mean answer time without queueing ≈ {statistics.mean(ok) / max(1, clients):.1f} s × clients in line")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
