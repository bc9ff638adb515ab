"""Several API workers: each serving process follows an index switch on its own (core/service.py)."""

from __future__ import annotations

import shutil

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
