"""The backends of the stores above ops/: the register of AI uses and the conversations' state.

    ASSISTANT_DATABASE_URL empty (default)   register in SQLite (ASSISTANT_REGISTER_PATH), conversations in memory
    ASSISTANT_DATABASE_URL=postgresql://…    both in PostgreSQL (the process's pool, ops/stores.py shared_database)

ops/stores.py picks the audit trail, the keys and the rate limit the same way; these two live here
because their types belong to layers above ops/ (register/, core/), which ops/ may not import.
"""

from __future__ import annotations

from assistant.base.settings import Settings
from assistant.core.conversation import Conversations, ConversationStore
from assistant.ops.stores import shared_database
from assistant.register.store import Repository, SqliteRegister


def open_register(settings: Settings) -> Repository:
    db = shared_database(settings)
    if db is None:
        return SqliteRegister(settings.register_file)
    from assistant.register.store_pg import PgRegister

    return PgRegister(db)


def open_conversations(settings: Settings) -> Conversations:
    db = shared_database(settings)
    if db is None:
        return ConversationStore()
    from assistant.core.conversation_pg import PgConversationStore

    return PgConversationStore(db)


__all__ = ["open_conversations", "open_register"]
