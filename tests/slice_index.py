"""A small real index: the provisions the end-to-end and scale tests ask about, with the real embedder."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.base.settings import PROJECT_ROOT

SLICE = re.compile(r"^(art-(4|5|26|27|50|99|113)(-|$)|annex-iii(-|$)|defi-6|art-1-(5|40)(-|$))")


def build_slice(index_dir: Path, corpus: Path, embedder) -> None:
    from assistant.search.index import build_index

    build_index(
        manifest_path=PROJECT_ROOT / "corpus" / "sources.toml",
        corpus_dir=corpus,
        index_dir=index_dir,
        embedder_factory=lambda: embedder,
        embedder_name=embedder.name,
        unit_filter=lambda u: bool(SLICE.match(u.ref)),
    )
