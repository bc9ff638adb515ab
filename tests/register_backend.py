"""The register store of one backend for the tests: SQLite (a file) or PostgreSQL (a fresh database
of tests/pgserver.py), opened like the code opens it, and reached behind the store's back with raw
SQL as someone who can write the database would (to check the triggers and what verify() finds)."""

from __future__ import annotations

from pathlib import Path

from assistant.base.settings import Settings
from assistant.register.store import Repository, SqliteRegister
from tests.rawdb import RawDb


class RegisterBackend(RawDb):
    @property
    def table(self) -> str:
        return "versions" if self.kind == "sqlite" else "register_versions"

    def settings(self, var_dir: Path) -> Settings:
        """Settings that make the code open this store (core/stores.py open_register)."""
        if self.kind == "sqlite":
            return Settings.load(var_dir=str(var_dir), register_path=self.where, database_url="")
        return Settings.load(var_dir=str(var_dir), database_url=self.where)

    def env(self) -> dict[str, str]:
        """The same, for a process of its own."""
        if self.kind == "sqlite":
            return {"ASSISTANT_REGISTER_PATH": self.where, "ASSISTANT_DATABASE_URL": ""}
        return {"ASSISTANT_DATABASE_URL": self.where}

    def open(self, **kw) -> Repository:
        if self.kind == "sqlite":
            return SqliteRegister(Path(self.where), **kw)
        from assistant.ops.db import database
        from assistant.register.store_pg import PgRegister

        return PgRegister(database(self.where), **kw)  # the process's pool

    def execute(self, sql: str, params=()) -> list[dict]:
        """Raw SQL: {table} for the versions table, "user" quoted (both accept it)."""
        return super().execute(sql.replace("{table}", self.table), params)

    def drop_trigger(self, what: str) -> None:
        """what: no_update, no_delete or chain (the triggers of both schemas)."""
        if self.kind == "sqlite":
            self.execute(f"DROP TRIGGER versions_{what}")
        else:
            name = "register_chain_insert" if what == "chain" else f"register_{what}"
            self.execute(f"DROP TRIGGER {name} ON register_versions")
