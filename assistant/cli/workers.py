"""`assistant serve --workers N`: N API processes on one port (uvicorn's supervisor), no shared memory.

Each worker builds its own app from the environment (`app()`, uvicorn's factory) and loads the
index read-only; what they share lives outside them:
- the index directory: each worker follows an index switch on its own (core/service.py,
  INDEX_RECHECK_S);
- audit, keys, feedback and the rate-limit buckets: SQLite files on one machine (SQLite's lock
  serialises writers; the rate limit is then per worker, N × ASSISTANT_RATE_PER_MINUTE for a key),
  or PostgreSQL with ASSISTANT_DATABASE_URL (one limit per key across workers and machines);
- the LLM: with the default local GGUF, each worker loads its own copy (memory × N, and the
  cores are shared): use ASSISTANT_LLM=openai and inference servers (deploy/README.md);
- the ask queue (ASSISTANT_ASK_QUEUE) is per worker: a node admits N × that many answers.
The web UI keeps each session's state in its process, so it is not served by several workers
behind one port: run it in its own process (deploy/).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from assistant.base.errors import ConfigError
from assistant.base.settings import Settings

ENV = "ASSISTANT_SERVE_ARGS"  # what the supervisor passes to its workers (host, UI or not)


def serve_workers(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from assistant.cli.admin import service_app

    if not args.no_ui:
        raise ConfigError(
            "L'interface web garde l'état de chaque session dans son processus : avec --workers "
            f"{args.workers}, lancez l'API seule (--no-ui) et l'interface dans un processus à part "
            "(`assistant serve --port 8001`), comme dans deploy/."
        )
    service_app(settings, args.host, with_ui=False)  # refuses a non-loopback host without keys, before forking
    os.environ[ENV] = json.dumps({"host": args.host})
    uvicorn.run(
        "assistant.cli.workers:app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
    )
    return 0


def app() -> Any:
    """The app of one worker (called by uvicorn in each worker process)."""
    from assistant.cli.admin import service_app

    given = json.loads(os.environ.get(ENV) or "{}")
    return service_app(Settings.load(), str(given.get("host", "127.0.0.1")), with_ui=False)


__all__ = ["app", "serve_workers"]
