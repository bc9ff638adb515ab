"""Prometheus metrics (prometheus-client), one registry per app: several apps may share a process.

assistant_http_requests_total{route,method,status}        counter
assistant_http_request_duration_seconds{route}            histogram
assistant_http_requests_in_progress                       gauge
assistant_requests_total{channel,operation,status}        counter (every audited request: api, ui, cli)
assistant_answer_stage_seconds{stage=retrieval|ttft|total} histogram (from the answer timings)
assistant_answers_total{abstained}                        counter
assistant_tokens_total{kind=prompt|completion}            counter
assistant_energy_wh_total                                 counter (Wh, measured or estimated)
assistant_co2e_grams_total                                counter
assistant_llm_upstream_up{upstream}                       gauge (inference pool, ASSISTANT_LLM=openai: 0 while skipped)
assistant_llm_upstream_in_flight{upstream}                gauge
assistant_llm_upstream_requests_total{upstream}           counter (served by this worker)
assistant_llm_upstream_failures_total{upstream}           counter
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what a scraper gets unless it asks for OpenMetrics

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
STAGE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)

# No `*_created` series beside each counter and histogram: the exposition keeps the names it had
# before the library (the switch is the library's, process-wide; nothing here reads those series).
disable_created_metrics()


class Metrics:
    """The service's metrics; one instance (and registry) per app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        reg = self.registry
        self.requests = Counter(
            "assistant_http_requests_total",
            "Requêtes HTTP reçues, par route, méthode et statut.",
            ("route", "method", "status"),
            registry=reg,
        )
        self.duration = Histogram(
            "assistant_http_request_duration_seconds",
            "Durée des requêtes HTTP (secondes), par route.",
            ("route",),
            buckets=HTTP_BUCKETS,
            registry=reg,
        )
        self.in_progress = Gauge(
            "assistant_http_requests_in_progress", "Requêtes HTTP en cours de traitement.", registry=reg
        )
        self.calls = Counter(
            "assistant_requests_total",
            "Requêtes journalisées (API, interface, ligne de commande), par canal, opération et statut.",
            ("channel", "operation", "status"),
            registry=reg,
        )
        self.stages = Histogram(
            "assistant_answer_stage_seconds",
            "Durée des étapes d'une réponse (secondes) : recherche, premier mot, totale.",
            ("stage",),
            buckets=STAGE_BUCKETS,
            registry=reg,
        )
        self.answers = Counter(
            "assistant_answers_total", "Réponses produites, selon l'abstention.", ("abstained",), registry=reg
        )
        self.tokens = Counter(
            "assistant_tokens_total", "Jetons traités par le modèle de langage.", ("kind",), registry=reg
        )
        self.energy = Counter(
            "assistant_energy_wh_total", "Énergie des réponses (Wh, mesurée ou estimée).", registry=reg
        )
        self.co2e = Counter("assistant_co2e_grams_total", "Émissions estimées des réponses (gCO2e).", registry=reg)

    def watch_upstreams(self, source: Callable[[], list[dict]]) -> None:
        """Expose the inference servers' state (`source()`: OpenAIHTTPGenerator.status rows) at each scrape."""
        self.registry.register(_UpstreamCollector(source))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route=route, method=method, status=str(status)).inc()
        self.duration.labels(route=route).observe(seconds)

    def observe_call(self, channel: str, operation: str, status: int) -> None:
        """One audited request (whatever the entry point), by its outcome."""
        self.calls.labels(channel=channel, operation=operation, status=str(status)).inc()

    def observe_answer(self, out: dict) -> None:
        timings = out.get("timings") or {}
        for stage in ("retrieval", "ttft", "total"):
            ms = timings.get(f"{stage}_ms")
            if isinstance(ms, int | float):
                self.stages.labels(stage=stage).observe(ms / 1000.0)
        self.answers.labels(abstained="true" if out.get("abstained") else "false").inc()
        tokens = out.get("tokens") or {}
        for kind in ("prompt", "completion"):
            n = tokens.get(kind)
            if isinstance(n, int | float) and n > 0:
                self.tokens.labels(kind=kind).inc(n)
        energy = out.get("energy") or {}
        if isinstance(energy.get("wh"), int | float) and energy["wh"] >= 0:
            self.energy.inc(float(energy["wh"]))
        if isinstance(energy.get("co2e_g"), int | float) and energy["co2e_g"] >= 0:
            self.co2e.inc(float(energy["co2e_g"]))

    def total(self, name: str) -> float:
        """Sum of a metric's samples over all label values (e.g. "assistant_http_requests_total")."""
        return sum(s.value for m in self.registry.collect() for s in m.samples if s.name == name)

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """(body, content type) in the format the scraper asks for (text 0.0.4 by default, or OpenMetrics)."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type


class _UpstreamCollector:
    def __init__(self, source: Callable[[], list[dict]]):
        self._source = source

    def describe(self) -> list:
        return []  # names known only at scrape time (one series per configured upstream)

    def collect(self) -> Iterator:
        try:
            rows = self._source()
        except Exception:  # a scrape never fails because of the pool (e.g. a bad ASSISTANT_LLM_URL)
            rows = []
        families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {
            "up": GaugeMetricFamily(
                "assistant_llm_upstream_up",
                "Serveur d'inférence utilisable (0 : écarté après un échec).",
                labels=["upstream"],
            ),
            "in_flight": GaugeMetricFamily(
                "assistant_llm_upstream_in_flight", "Générations en cours sur ce serveur.", labels=["upstream"]
            ),
            "served": CounterMetricFamily(
                "assistant_llm_upstream_requests", "Générations servies par ce serveur.", labels=["upstream"]
            ),
            "failures": CounterMetricFamily(
                "assistant_llm_upstream_failures",
                "Échecs de ce serveur (injoignable, HTTP 5xx, flux coupé).",
                labels=["upstream"],
            ),
        }
        for row in rows:
            for key, family in families.items():
                family.add_metric([str(row["url"])], float(row[key]))
        yield from families.values()


__all__ = ["CONTENT_TYPE", "HTTP_BUCKETS", "STAGE_BUCKETS", "Metrics"]
