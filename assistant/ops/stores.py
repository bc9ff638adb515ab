"""Where the shared state lives: the storage interfaces and the backend the settings choose.

    ASSISTANT_DATABASE_URL empty (default)   SQLite audit + feedback, JSON key file, in-memory rate limit
    ASSISTANT_DATABASE_URL=postgresql://…    all of them in PostgreSQL (ops/db.py; `assistant db upgrade`)

The interfaces are the base classes every backend implements: `AuditTrail` (audit rows, hash
chain, purge anchor, feedback; ops/audit.py), `KeyRegistry` (API keys; ops/keys.py) and
`Limiter` (ops/ratelimit.py). A new store follows the same pattern: an interface with its SQLite
(or in-memory) implementation, a `Pg…` one using `database(url)`, a migration file in
ops/migrations/, and a factory here, or in core/stores.py when its types live above ops/ (the
register of AI uses, register/store_pg.py; the conversations, core/conversation_pg.py).
"""

from __future__ import annotations

from assistant.base.settings import Settings
from assistant.ops.audit import AuditLog, AuditTrail
from assistant.ops.db import Database, database, is_postgres
from assistant.ops.keys import KeyRegistry, KeyStore
from assistant.ops.ratelimit import Limiter, PgRateLimiter, RateLimiter


def shared_database(settings: Settings) -> Database | None:
    """The PostgreSQL pool of this process when the settings name one (schema checked), else None."""
    url = settings.database_url.strip()
    if not url:
        return None
    if not is_postgres(url):
        from assistant.base.errors import ConfigError
        from assistant.ops.db import describe

        raise ConfigError(
            f"ASSISTANT_DATABASE_URL « {describe(url)[:80]} » : attendu postgresql://utilisateur@hôte:5432/base "
            "(ou vide pour SQLite)."
        )
    return database(url)


def open_audit(settings: Settings) -> AuditTrail:
    db = shared_database(settings)
    if db is None:
        return AuditLog.from_settings(settings)
    from assistant.ops.audit_pg import PgAuditLog

    return PgAuditLog(db, retention_days=int(settings.audit_retention_days))


def open_keys(settings: Settings) -> KeyRegistry:
    db = shared_database(settings)
    if db is None:
        return KeyStore(settings.keys_file)
    from assistant.ops.keys_pg import PgKeyStore

    return PgKeyStore(db)


def open_limiter(settings: Settings) -> Limiter:
    db = shared_database(settings)
    if db is None:
        return RateLimiter(settings.rate_per_minute)
    return PgRateLimiter(db, settings.rate_per_minute)


def backend_name(settings: Settings) -> str:
    """« sqlite » or « postgresql » (for `assistant db status`, /v1/admin/status)."""
    return "postgresql" if settings.database_url.strip() else "sqlite"


__all__ = ["backend_name", "open_audit", "open_keys", "open_limiter", "shared_database"]
