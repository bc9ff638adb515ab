"""What the API and the UI share in one serving process: the service, its audited gateway (and the
conversations' store), keys, audit, metrics, the register."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Self

from assistant.base.settings import Settings
from assistant.core.audited import Gateway
from assistant.core.register import RegisterDesk, open_desk
from assistant.core.service import Service
from assistant.core.stores import open_conversations
from assistant.ops.audit import AuditTrail
from assistant.ops.keys import KeyRegistry
from assistant.ops.metrics import Metrics
from assistant.ops.ratelimit import Limiter
from assistant.ops.stores import open_audit, open_keys, open_limiter


@dataclass
class Context:
    settings: Settings
    service: Service
    keys: KeyRegistry
    audit: AuditTrail
    metrics: Metrics
    limiter: Limiter
    gateway: Gateway = field(init=False)

    def __post_init__(self) -> None:
        self.gateway = Gateway(self.service, self.audit, self.metrics, open_conversations(self.settings))
        self.metrics.watch_upstreams(self.service.upstreams)

    @classmethod
    def build(
        cls,
        settings: Settings,
        service: Service | None = None,
        *,
        keys: KeyRegistry | None = None,
        audit: AuditTrail | None = None,
    ) -> Self:
        return cls(
            settings=settings,
            service=service or Service(settings),
            keys=keys or open_keys(settings),
            audit=audit or open_audit(settings),
            metrics=Metrics(),
            limiter=open_limiter(settings),
        )

    @cached_property
    def register(self) -> RegisterDesk:
        """The register of AI uses (opened on first use: SQLite settings.register_file, or PostgreSQL)."""
        return open_desk(self.gateway, self.settings)

    def auth_enabled(self) -> bool:
        """True once any key exists: from then on every API request needs a key."""
        return self.keys.exists()


__all__ = ["Context"]
