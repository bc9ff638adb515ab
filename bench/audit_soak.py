"""Crash safety of the audit trail (issue 8): SIGKILL a real uvicorn server during a stream of requests.

    python bench/audit_soak.py --index-dir DIR [--kills 30] [--clients 4] [--out report.json]
    (or `make soak-audit`, which builds a small fake index first)

The server runs the real API with the fake embedder and the scripted LLM (settings from the
environment, see `make_app`). Clients send questions that each carry a unique token; the
harness kills the server (SIGKILL, no shutdown handler runs) after a random number of
responses, restarts it, and checks after every kill that:

    every response a client received has its audit row (token in the redacted question,
    answer_id for answers), the hash chain verifies, and `PRAGMA integrity_check` is ok.

The server's own output (access log included) is kept: the caller checks that no API key
and no personal value appear in it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def make_app():  # uvicorn --factory audit_soak:make_app
    from assistant.base.settings import Settings
    from assistant.web.api import create_app

    return create_app(Settings.load())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A uvicorn subprocess on the loopback, with its output appended to `log_path`."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env = env
        self.log_path = log_path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_timeout: float = 120.0) -> None:
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(HERE), "audit_soak:make_app",
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "info"]  # fmt: skip
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child process
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        log.close()
        deadline = time.monotonic() + ready_timeout  # a liveness guard, not a measurement
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"le serveur s'est arrêté au démarrage : voir {self.log_path}")
            try:
                if httpx.get(self.url + "/health", timeout=5).status_code in (200, 503):
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"le serveur ne répond pas : voir {self.log_path}")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def server_env(index_dir: Path, var_dir: Path, corpus_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ASSISTANT_EMBEDDER="fake",
        ASSISTANT_LLM="fake",
        ASSISTANT_INDEX_DIR=str(index_dir),
        ASSISTANT_VAR_DIR=str(var_dir),
        ASSISTANT_RATE_PER_MINUTE="1000000",
        ASSISTANT_ASK_QUEUE="16",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(ROOT),
    )
    if corpus_dir is not None:
        env["ASSISTANT_CORPUS_DIR"] = str(corpus_dir)
    return env


@dataclass
class Received:
    token: str
    answer_id: str | None


@dataclass
class SoakReport:
    kills: int = 0
    received: int = 0
    rows: int = 0
    lost: list[str] = field(default_factory=list)  # tokens or answer ids without an audit row
    chain_ok: bool = True
    integrity_ok: bool = True
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "kills": self.kills,
            "responses_received": self.received,
            "audit_rows": self.rows,
            "rows_lost": len(self.lost),
            "lost": self.lost[:20],
            "chain_ok": self.chain_ok,
            "integrity_ok": self.integrity_ok,
            "details": self.details[-20:],
        }


def _client(url: str, headers: dict, run: str, worker: int, stop: threading.Event, out: list[Received]) -> None:
    """Send requests until `stop`; record the responses fully received (a kill cuts the others)."""
    i = 0
    with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
        while not stop.is_set():
            i += 1
            token = f"jeton-{run}-{worker}-{i}"
            kind = i % 3
            try:
                if kind == 0:
                    r = c.post("/v1/search", json={"query": f"amende pratique interdite {token}", "k": 3})
                    got = Received(token, None) if r.status_code == 200 else None
                elif kind == 1:
                    r = c.post("/v1/ask", json={"question": f"Quelle amende pour une pratique interdite ? {token}"})
                    got = Received(token, r.json().get("answer_id")) if r.status_code == 200 else Received(token, None)
                else:
                    body = {"question": f"Qu'est-ce qu'un déployeur ? {token}", "stream": True}
                    r = c.post("/v1/ask", json=body)
                    final = [ln for ln in r.text.split("\n") if ln.startswith("data: ") and '"answer_id"' in ln]
                    if r.status_code != 200 or not r.text.rstrip().endswith("}") or not final:
                        continue  # cut by the kill: not a received answer
                    got = Received(token, json.loads(final[-1][6:])["answer_id"])
            except (httpx.HTTPError, ValueError):
                time.sleep(0.05)  # server down (being killed / restarting)
                continue
            if got is not None:
                out.append(got)


def check_audit(db: Path, received: list[Received], report: SoakReport) -> None:
    """Every received response has its row; the chain and SQLite's integrity check pass."""
    from assistant.ops.audit import AuditLog

    log = AuditLog(db)
    try:
        verify = log.verify()
        rows = log.rows(limit=10_000_000)
    finally:
        log.close()
    report.rows = len(rows)
    report.chain_ok = report.chain_ok and verify.ok
    if not verify.ok:
        report.details.append(verify.render())
    con = sqlite3.connect(db)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    if integrity != "ok":
        report.integrity_ok = False
        report.details.append(f"integrity_check : {integrity}")
    text = "\n".join(str(r.get("question") or "") for r in rows)
    ids = {r.get("answer_id") for r in rows}
    lost = [g.token for g in received if g.token not in text]
    lost += [g.answer_id for g in received if g.answer_id and g.answer_id not in ids]
    report.lost = sorted(set(report.lost) | set(lost))


def soak(
    index_dir: Path,
    workdir: Path,
    *,
    kills: int = 3,
    clients: int = 3,
    between: tuple[int, int] = (5, 25),
    seed: int = 8,
    corpus_dir: Path | None = None,
    progress=lambda _m: None,
) -> tuple[SoakReport, Path, str]:
    """Kill the server `kills` times; returns the report, the server log and the API key used."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    var = workdir / "var"
    env = server_env(index_dir, var, corpus_dir)
    from assistant.base.settings import Settings
    from assistant.ops.keys import KeyStore

    keys = KeyStore(Settings.load(var_dir=str(var)).keys_file)
    _, raw = keys.create("agent", "soak")
    log_path = workdir / "server.log"
    server = Server(env, log_path)
    report = SoakReport()
    received: list[Received] = []
    db = var / "audit.sqlite3"
    try:
        for k in range(kills):
            server.start()
            stop = threading.Event()
            batch: list[Received] = []
            threads = [
                threading.Thread(
                    target=_client,
                    args=(server.url, {"X-API-Key": raw}, f"k{k}", w, stop, batch),
                    daemon=True,
                )
                for w in range(clients)
            ]
            for t in threads:
                t.start()
            target = rng.randint(*between)
            while len(batch) < target and all(t.is_alive() for t in threads):
                time.sleep(0.01)
            time.sleep(rng.random() * 0.05)  # land the kill at a random point of the next requests
            server.kill()
            stop.set()
            for t in threads:
                t.join(timeout=120)
            report.kills += 1
            received += batch
            check_audit(db, received, report)
            progress(
                f"arrêt brutal {k + 1}/{kills} : {len(batch)} réponses reçues, {len(report.lost)} ligne(s) perdue(s)"
            )
    finally:
        server.stop()
    report.received = len(received)
    return report, log_path, raw


def fake_index(index_dir: Path) -> Path:
    """A small index of the reference texts with the fake embedder (kept between runs)."""
    from assistant.base.settings import Settings
    from assistant.search.embed import FakeEmbedder
    from assistant.search.index import build_index

    settings = Settings.load()
    build_index(
        manifest_path=Path(settings.manifest),
        corpus_dir=Path(settings.corpus_dir),
        index_dir=index_dir,
        embedder_factory=FakeEmbedder,
        embedder_name=FakeEmbedder().name,
        unit_filter=lambda u: u.ref.startswith(("art-4", "art-5", "art-26", "art-50", "art-99", "defi-")),
    )
    return index_dir


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", help="index built with the fake embedder (default: built under --work)")
    p.add_argument("--work", default="/tmp/assistant-audit-soak", help="working dir (var/, server.log)")
    p.add_argument("--kills", type=int, default=30)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seed", type=int, default=8)
    p.add_argument("--out", help="write the report (JSON) there")
    args = p.parse_args(argv)
    index_dir = Path(args.index_dir) if args.index_dir else fake_index(Path(args.work) / "index")
    report, log_path, raw = soak(
        index_dir, Path(args.work), kills=args.kills, clients=args.clients, seed=args.seed, progress=print
    )
    data = report.as_dict() | {"key_in_server_log": raw in log_path.read_text(encoding="utf-8", errors="replace")}
    print(json.dumps(data, ensure_ascii=False, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    ok = not report.lost and report.chain_ok and report.integrity_ok and not data["key_in_server_log"]
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
