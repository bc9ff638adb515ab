"""The law as data changes no assessment: every scenario and question gives what the Python tables gave.

`tests/data/law-golden.json` was recorded with the tables still written in Python (see
`tests/law_snapshot.py`). After an intended change of `assistant/law/*.toml`, rewrite it with
`ASSISTANT_UPDATE_LAW_GOLDEN=1 python -m pytest tests/test_law_golden.py` and review its diff:
the items whose level or digests moved are the ones the change affects."""

from __future__ import annotations

import json
import os

import pytest

from tests.law_snapshot import GOLDEN, snapshot, write

UPDATE = "ASSISTANT_UPDATE_LAW_GOLDEN"


def test_law_data_gives_the_recorded_outputs(fake_index_dir):
    if os.environ.get(UPDATE) == "1":
        write(fake_index_dir)
        pytest.skip(f"{GOLDEN.name} réécrit : relisez son diff")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = snapshot(fake_index_dir)
    missing = sorted(set(expected) - set(got) - {k for k in expected if k.startswith("benchmark:")})
    assert not missing, f"éléments absents : {missing[:10]}"
    changed = [
        f"{key} {part} (niveau {expected[key]['level']} → {got[key]['level']})"
        if key in expected
        else f"{key} (nouveau)"
        for key in sorted(got)
        for part, digest in got[key]["digest"].items()
        if key not in expected or expected[key]["digest"].get(part) != digest
    ]
    assert not changed, (
        f"{len(changed)} sorties changées, dont : "
        + " ; ".join(changed[:12])
        + f". Si le changement des données juridiques est voulu : {UPDATE}=1 python -m pytest tests/test_law_golden.py,"
        " puis relisez le diff de tests/data/law-golden.json."
    )
