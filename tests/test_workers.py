"""Several API workers: each serving process follows an index switch on its own (core/service.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from assistant.base import tuning
from assistant.core.service import Service
from assistant.search.index import current_generation


def test_every_worker_picks_up_an_index_switch(fake_index_dir, api_settings, tmp_path, monkeypatch):
    index_dir = tmp_path / "index"
    shutil.copytree(fake_index_dir, index_dir)
    settings = api_settings.with_(index_dir=str(index_dir))
    workers = [Service(settings), Service(settings)]  # two serving processes over one index directory
    old = current_generation(index_dir)
    assert old is not None
    assert {w.search("transparence", k=1)["results"][0]["doc_id"] for w in workers}
    assert [w.index.path.name for w in workers] == [old, old]

    # `assistant index build` writes a new generation and switches CURRENT (atomically)
    new = old + "-rebuilt"
    shutil.copytree(index_dir / old, index_dir / new)
    (index_dir / "CURRENT").write_text(new + "\n", encoding="utf-8")

    assert [w.index.path.name for w in workers] == [old, old]  # not looked at again yet
    monkeypatch.setattr(tuning, "INDEX_RECHECK_S", 0.0)
    for w in workers:
        assert w.search("transparence", k=1)["results"]  # a request: the worker looks, loads, serves
        assert w.index.path.name == new
        assert w.retriever.index.path.name == new  # derived objects rebuilt over the new index


def test_serve_refuses_several_workers_with_the_ui(capsys):
    from assistant.cli.main import main

    assert main(["serve", "--workers", "2"]) == 2
    assert "--no-ui" in capsys.readouterr().err


def _workers_of(pid: int) -> list[str]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    cmdlines = [Path(f"/proc/{c}/cmdline").read_bytes().replace(b"\0", b" ").decode() for c in children]
    return [c for c in cmdlines if "multiprocessing" in c and "spawn_main" in c and "resource_tracker" not in c]


def test_two_workers_share_one_rate_limit_through_postgresql(fake_index_dir, corpus, pg_url, tmp_path):
    """`assistant serve --workers 2`: two processes behind one port, one bucket per key in PostgreSQL."""
    import importlib.util
    import sys

    import httpx

    from assistant.base.settings import PROJECT_ROOT, Settings
    from assistant.ops.stores import open_audit, open_keys

    spec = importlib.util.spec_from_file_location("scale_harness", PROJECT_ROOT / "bench" / "scale_harness.py")
    h = importlib.util.module_from_spec(spec)
    sys.modules["scale_harness"] = h
    spec.loader.exec_module(h)

    env = h.api_env(fake_index_dir, tmp_path / "var", ["http://127.0.0.1:9/v1"])
    env.update(ASSISTANT_LLM="fake", ASSISTANT_EMBEDDER="fake", ASSISTANT_CORPUS_DIR=str(corpus),
               ASSISTANT_DATABASE_URL=pg_url, ASSISTANT_RATE_PER_MINUTE="3")  # fmt: skip
    settings = Settings.load(var_dir=str(tmp_path / "var"), database_url=pg_url)
    _, raw = open_keys(settings).create("agent", "test")
    api = h.ApiServer(env, tmp_path, workers=2).start()
    try:
        assert len(_workers_of(api.proc.pid)) == 2
        with httpx.Client(headers={"Authorization": f"Bearer {raw}"}, timeout=60) as client:
            codes = [client.post(api.url + "/v1/search", json={"query": "transparence"}).status_code for _ in range(6)]
    finally:
        api.stop()
    # 3 per minute for the key, whichever worker took each request (per-worker buckets would allow up to 6)
    assert codes[:3] == [200] * 3 and codes[3:] == [429] * 3
    log = open_audit(settings)
    assert log.verify().ok and log.count() == 3  # the answered requests, one chain
