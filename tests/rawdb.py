"""A test store's database reached behind the store's back, with raw SQL, as someone who can write
the database would: SQLite (a file) or PostgreSQL (a URL of tests/pgserver.py). Base of the audit
and register backends of the tests."""

from __future__ import annotations

import sqlite3


class RawDb:
    def __init__(self, kind: str, where: str):
        self.kind, self.where = kind, where  # where: the SQLite file, or the database URL

    @property
    def error(self) -> type[Exception]:
        if self.kind == "sqlite":
            return sqlite3.DatabaseError
        import psycopg

        return psycopg.Error

    def execute(self, sql: str, params=()) -> list[dict]:
        """Raw SQL with ? placeholders, autocommit."""
        if self.kind == "sqlite":
            db = sqlite3.connect(self.where, isolation_level=None)
            db.row_factory = sqlite3.Row
            try:
                return [dict(r) for r in db.execute(sql, list(params)).fetchall()]
            finally:
                db.close()
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.where, autocommit=True, row_factory=dict_row) as conn:
            cur = conn.execute(sql.replace("?", "%s"), list(params))
            return list(cur.fetchall()) if cur.description else []
