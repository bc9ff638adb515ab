"""API keys in PostgreSQL (table api_keys): every worker sees a key, or its revocation, at its next request.

Only the SHA-256 of a key is stored, as in the file backend. The schema's trigger refuses to delete
a key or to change anything but its revocation date, once.
"""

from __future__ import annotations

from collections.abc import Callable

from assistant.ops.db import Database, describe
from assistant.ops.keys import ApiKey, KeyRegistry

_COLS = "id, role, label, created, sha256, revoked"


class PgKeyStore(KeyRegistry):
    def __init__(self, db: Database):
        self.db = db
        self.path = describe(db.url)

    def records(self) -> list[ApiKey]:
        with self.db.transaction() as conn:
            rows = conn.execute(f"SELECT {_COLS} FROM api_keys ORDER BY seq").fetchall()
        return [ApiKey(*r) for r in rows]

    def _add(self, make: Callable[[set[str]], ApiKey]) -> ApiKey:
        with self.db.transaction() as conn:
            conn.execute("LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE")  # one creator at a time: ids stay unique
            ids = {r[0] for r in conn.execute("SELECT id FROM api_keys").fetchall()}
            record = make(ids)
            conn.execute(
                f"INSERT INTO api_keys ({_COLS}) VALUES (%s, %s, %s, %s, %s, %s)",
                [record.id, record.role, record.label, record.created, record.sha256, record.revoked],
            )
        return record

    def _revoke(self, key_id: str, when: str) -> ApiKey | None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE api_keys SET revoked = %s WHERE id = %s AND revoked IS NULL", [when, key_id])
            row = conn.execute(f"SELECT {_COLS} FROM api_keys WHERE id = %s", [key_id]).fetchone()
        return ApiKey(*row) if row else None


__all__ = ["PgKeyStore"]
