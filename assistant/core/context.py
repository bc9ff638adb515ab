"""What the API and the UI share in one serving process: the service, its audited gateway, keys, audit, metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Self

from assistant.base.settings import Settings
from assistant.core.audited import Gateway
from assistant.core.register import RegisterDesk, open_desk
from assistant.core.service import Service
from assistant.ops.audit import AuditLog
from assistant.ops.keys import KeyStore
from assistant.ops.metrics import Metrics
from assistant.ops.ratelimit import RateLimiter


@dataclass
class Context:
    settings: Settings
    service: Service
    keys: KeyStore
    audit: AuditLog
    metrics: Metrics
    limiter: RateLimiter
    gateway: Gateway = field(init=False)

    def __post_init__(self) -> None:
        self.gateway = Gateway(self.service, self.audit, self.metrics)

    @classmethod
    def build(
        cls,
        settings: Settings,
        service: Service | None = None,
        *,
        keys: KeyStore | None = None,
        audit: AuditLog | None = None,
    ) -> Self:
        return cls(
            settings=settings,
            service=service or Service(settings),
            keys=keys or KeyStore(settings.keys_file),
            audit=audit or AuditLog.from_settings(settings),
            metrics=Metrics(),
            limiter=RateLimiter(settings.rate_per_minute),
        )

    @cached_property
    def register(self) -> RegisterDesk:
        """The register of AI uses (opened on first use: settings.register_file)."""
        return open_desk(self.gateway, self.settings.register_file)

    def auth_enabled(self) -> bool:
        """True once any key exists: from then on every API request needs a key."""
        return self.keys.exists()


__all__ = ["Context"]
