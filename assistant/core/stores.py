"""The backends of the stores above ops/: the register of AI uses.

    ASSISTANT_DATABASE_URL empty (default)   register in SQLite (ASSISTANT_REGISTER_PATH)
    ASSISTANT_DATABASE_URL=postgresql://…    in PostgreSQL (the process's pool, ops/stores.py shared_database)

ops/stores.py picks the audit trail, the keys and the rate limit the same way; the register lives
here because its types belong to a layer above ops/ (register/), which ops/ may not import.
"""

from __future__ import annotations

from assistant.base.settings import Settings
from assistant.ops.stores import shared_database
from assistant.register.store import Repository, SqliteRegister


def open_register(settings: Settings) -> Repository:
    db = shared_database(settings)
    if db is None:
        return SqliteRegister(settings.register_file)
    from assistant.register.store_pg import PgRegister

    return PgRegister(db)


__all__ = ["open_register"]
