"""The audit trail and feedback on PostgreSQL: the same rows, chain and purge anchor as `audit.py`.

Several workers on several machines append to one chain. Each append is one transaction that
takes the chain's advisory lock (`db.AUDIT_LOCK`), reads the head, inserts the row with id =
head id + 1 and commits: appends are serialised by the database, and a row is acknowledged (its
id returned) only after PostgreSQL made the commit durable. The triggers of the schema
(migrations/0001_initial.sql) refuse UPDATE, TRUNCATE, DELETE outside a purge (the purge sets
`assistant.purge` for its own transaction only) and an INSERT that does not follow the head,
whoever writes. The pseudonym secret lives in the database, so every worker gives a key the same
pseudonym.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from assistant.ops.audit import FIELDS, GENESIS, LATER_FIELDS, AuditTrail, chained, decode_row, purge_marker, utc_now
from assistant.ops.db import AUDIT_LOCK, Database, describe, one

_COLS = (*FIELDS, *LATER_FIELDS, "prev_hash", "hash")
_SQL_COLS = ", ".join(f'"{c}"' for c in _COLS)


def _dicts(cur: Any) -> list[dict]:
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


class PgAuditLog(AuditTrail):
    def __init__(self, db: Database, *, retention_days: int = 365, clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(retention_days=retention_days, clock=clock)
        self.db = db
        self.path = describe(db.url)

    def close(self) -> None:
        """The pool belongs to the process (ops/db.py), shared with the other stores."""

    def _secret_value(self) -> bytes:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO installation (name, value) VALUES ('audit_secret', %s) ON CONFLICT (name) DO NOTHING",
                [secrets.token_bytes(32).hex()],
            )
            row = one(conn.execute("SELECT value FROM installation WHERE name = 'audit_secret'"))
        return bytes.fromhex(row[0])

    # ------------------------------------------------------------------ writing

    @staticmethod
    def _append(conn: Any, fields: dict) -> int:
        """Insert one chained row (the caller's transaction holds the chain lock)."""
        head = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        row_id = int(head[0]) + 1 if head else 1
        values = chained(fields, head[1] if head else GENESIS)
        conn.execute(
            f"INSERT INTO audit (id, {_SQL_COLS}) VALUES (%s, {', '.join('%s' for _ in _COLS)})",
            [row_id, *(values[c] for c in _COLS)],
        )
        return row_id

    def _append_request(self, fields: dict) -> int:
        with self.db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK])
            return self._append(conn, fields)

    def _insert_feedback(self, row: dict) -> int:
        with self.db.transaction() as conn:
            got = one(
                conn.execute(
                    'INSERT INTO feedback (ts, "user", answer_id, useful, comment) '
                    "VALUES (%s, %s, %s, %s, %s) RETURNING id",
                    [row["ts"], row["user"], row["answer_id"], row["useful"], row["comment"]],
                )
            )
        return int(got[0])

    # ------------------------------------------------------------------ reading

    def has_answer(self, answer_id: str) -> bool:
        with self.db.transaction() as conn:
            return conn.execute("SELECT 1 FROM audit WHERE answer_id = %s LIMIT 1", [answer_id]).fetchone() is not None

    def answer_row(self, answer_id: str) -> dict | None:
        with self.db.transaction() as conn:
            got = _dicts(
                conn.execute(
                    'SELECT "user", endpoint, refs, abstained FROM audit WHERE answer_id = %s ORDER BY id DESC LIMIT 1',
                    [answer_id],
                )
            )
        if not got:
            return None
        r = got[0]
        return {**r, "refs": json.loads(r["refs"] or "[]"), "abstained": bool(r["abstained"])}

    def rows(self, limit: int = 100, since: str | None = None) -> list[dict]:
        sql = f"SELECT id, {_SQL_COLS} FROM audit" + (" WHERE ts >= %s" if since else "") + " ORDER BY id DESC LIMIT %s"
        with self.db.transaction() as conn:
            got = _dicts(conn.execute(sql, [since, limit] if since else [limit]))
        return [decode_row(r) for r in got]

    def feedback(self, limit: int = 100) -> list[dict]:
        with self.db.transaction() as conn:
            got = _dicts(
                conn.execute(
                    'SELECT id, ts, "user", answer_id, useful, comment FROM feedback ORDER BY id DESC LIMIT %s', [limit]
                )
            )
        return [r | {"useful": bool(r["useful"])} for r in got]

    def count(self) -> int:
        with self.db.transaction() as conn:
            return int(one(conn.execute("SELECT COUNT(*) FROM audit"))[0])

    def _chain_rows(self) -> list[dict]:
        with self.db.transaction() as conn:
            # REPEATABLE READ: one snapshot of the whole chain while writers go on appending
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return _dicts(conn.execute(f"SELECT id, {_SQL_COLS} FROM audit ORDER BY id"))

    # ------------------------------------------------------------------ retention

    def _purge_through(self, cutoff: str, now: datetime, days: int) -> tuple[int, int, int | None]:
        with self.db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK])
            last = conn.execute(
                "SELECT id, hash FROM audit WHERE id = (SELECT MAX(id) FROM audit WHERE ts < %s)", [cutoff]
            ).fetchone()
            deleted = 0
            through = None
            if last is not None:
                through = int(last[0])
                deleted = int(one(conn.execute("SELECT COUNT(*) FROM audit WHERE id <= %s", [through]))[0])
                self._append(conn, purge_marker(through, last[1], deleted, days, now))
                conn.execute("SELECT set_config('assistant.purge', 'on', true)")  # this transaction only
                conn.execute("DELETE FROM audit WHERE id <= %s", [through])
                conn.execute("SELECT set_config('assistant.purge', 'off', true)")
            fb = conn.execute("DELETE FROM feedback WHERE ts < %s", [cutoff]).rowcount
        return deleted, int(fb or 0), through


__all__ = ["PgAuditLog"]
