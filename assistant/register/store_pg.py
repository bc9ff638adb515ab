"""The register of AI uses on PostgreSQL (ASSISTANT_DATABASE_URL): the `Repository` of store.py for
several workers on several machines.

Same rows, hash and chain as `SqliteRegister` (the helpers of store.py compute both), in the table
`register_versions` (migrations/0003_register_conversations.sql). A change is one transaction that
takes the register's advisory lock (`db.REGISTER_LOCK`), reads what it must (the year's entries for
a new id, the entry's latest version for a change), reads the head, inserts the row with
seq = head seq + 1 and commits: changes are serialised by the database, whichever worker makes
them, and a change is returned to its caller only after PostgreSQL made the commit durable. The
triggers of the schema refuse UPDATE, DELETE, TRUNCATE and an INSERT that does not follow the head,
whoever writes; UNIQUE (entry_id, version) refuses a version stored twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from assistant.ops.audit import GENESIS, iso, utc_now
from assistant.ops.db import REGISTER_LOCK, Database, describe, one
from assistant.register.entry import Entry
from assistant.register.store import (
    FIELDS,
    Version,
    check_chain,
    conflict,
    new_id,
    row_fields,
    version_hash,
    year_prefix,
)

_COLS = (*FIELDS, "prev_hash", "hash")
_SQL_COLS = ", ".join(f'"{c}"' for c in _COLS)
_SQL_FIELDS = ", ".join(f'"{c}"' for c in FIELDS)


class PgRegister:
    """The Repository in PostgreSQL (the process's pool: ops/db.py `database(url)`)."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.db = db
        self.path = describe(db.url)  # where it lives, for messages (no password)
        self._clock = clock

    def close(self) -> None:
        """The pool belongs to the process (ops/db.py), shared with the other stores."""

    def now(self) -> str:
        return iso(self._clock())

    # ------------------------------------------------------------------ writing

    def _insert(self, conn: Any, entry: Entry, user: str, action: str) -> None:
        """Insert the row of `entry` after the head (the caller's transaction holds the lock)."""
        head = conn.execute("SELECT seq, hash FROM register_versions ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (int(head[0]) + 1, head[1]) if head else (1, GENESIS)
        fields = row_fields(entry, self.now(), user, action)
        conn.execute(
            f"INSERT INTO register_versions (seq, {_SQL_COLS}) VALUES (%s, {', '.join('%s' for _ in _COLS)})",
            [seq, *(fields[k] for k in FIELDS), prev, version_hash(fields, prev)],
        )

    def create(self, build: Callable[[str], Entry], *, user: str, action: str = "create") -> Entry:
        with self.db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [REGISTER_LOCK])
            now = self.now()
            taken = one(
                conn.execute(
                    "SELECT COUNT(DISTINCT entry_id) FROM register_versions WHERE entry_id LIKE %s",
                    [year_prefix(now) + "%"],
                )
            )[0]
            entry = build(new_id(now, int(taken)))
            self._insert(conn, entry, user, action)
        return entry

    def append(self, entry: Entry, *, user: str, action: str) -> Entry:
        with self.db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [REGISTER_LOCK])
            row = one(conn.execute("SELECT MAX(version) FROM register_versions WHERE entry_id = %s", [entry.id]))
            current = int(row[0] or 0)
            if current != entry.version - 1:
                raise conflict(entry.id, current)
            self._insert(conn, entry, user, action)
        return entry

    # ------------------------------------------------------------------ reading

    def get(self, entry_id: str) -> Entry | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT entry FROM register_versions WHERE entry_id = %s ORDER BY version DESC LIMIT 1", [entry_id]
            ).fetchone()
        return Entry.from_json(json.loads(row[0])) if row else None

    def latest(self) -> list[Entry]:
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT DISTINCT ON (entry_id) seq, entry FROM register_versions ORDER BY entry_id, version DESC"
            ).fetchall()
        # in the order the entries' latest versions were written, as the SQLite store gives them
        return [Entry.from_json(json.loads(r[1])) for r in sorted(rows, key=lambda r: int(r[0]))]

    def history(self, entry_id: str) -> list[Version]:
        with self.db.transaction() as conn:
            rows = conn.execute(
                'SELECT entry, ts, "user", action FROM register_versions WHERE entry_id = %s ORDER BY version',
                [entry_id],
            ).fetchall()
        return [Version(Entry.from_json(json.loads(r[0])), r[1], r[2], r[3]) for r in rows]

    def verify(self) -> tuple[bool, int, str]:
        """(chain intact, rows, French report): walks the chain from the first row, in one snapshot."""
        with self.db.transaction() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # writers may go on appending
            cur: Any = conn.execute(f"SELECT seq, {_SQL_FIELDS}, prev_hash, hash FROM register_versions ORDER BY seq")
            names = [d.name for d in cur.description]
            rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        return check_chain(rows)


__all__ = ["PgRegister"]
