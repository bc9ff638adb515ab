"""The law as data changes no assessment: every scenario and question gives what the Python tables gave.

`tests/data/law-golden.json` was recorded with the tables still written in Python (see
`tests/law_snapshot.py`); after an intended change of `assistant/law/*.toml`, regenerate it and
review which items moved."""

from __future__ import annotations

import json

from tests.law_snapshot import GOLDEN, snapshot


def test_law_data_gives_the_recorded_outputs(fake_index_dir):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = snapshot(fake_index_dir)
    missing = sorted(set(expected) - set(got) - {k for k in expected if k.startswith("benchmark:")})
    assert not missing, f"éléments absents : {missing[:10]}"
    changed = [
        f"{key} {part} (niveau {expected[key]['level']} → {got[key]['level']})"
        for key in sorted(got)
        for part, digest in got[key]["digest"].items()
        if key not in expected or expected[key]["digest"].get(part) != digest
    ]
    assert not changed, f"{len(changed)} sorties changées, dont : " + " ; ".join(changed[:12])
