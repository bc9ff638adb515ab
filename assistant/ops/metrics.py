"""Prometheus metrics in the text exposition format (0.0.4), written by hand: no dependency.

assistant_http_requests_total{route,method,status}        counter
assistant_http_request_duration_seconds{route}            histogram
assistant_http_requests_in_progress                       gauge
assistant_answer_stage_seconds{stage=retrieval|ttft|total} histogram (from the answer timings)
assistant_answers_total{abstained}                        counter
assistant_tokens_total{kind=prompt|completion}            counter
assistant_energy_wh_total                                 counter (Wh, measured or estimated)
assistant_co2e_grams_total                                counter
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
STAGE_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Sequence[str], values: Sequence[str], extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _num(x: float) -> str:
    x = float(x)
    if x == float("inf"):
        return "+Inf"
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


class _Metric:
    kind = ""

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()):
        self.name = name
        self.help = help
        self.labelnames = tuple(labelnames)
        self._lock = threading.Lock()

    def header(self) -> list[str]:
        return [
            f"# HELP {self.name} {self.help.replace(chr(92), chr(92) * 2).replace(chr(10), ' ')}",
            f"# TYPE {self.name} {self.kind}",
        ]


class Counter(_Metric):
    kind = "counter"

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = ()):
        super().__init__(name, help, labelnames)
        self._values: dict[tuple[str, ...], float] = {}
        if not self.labelnames:
            self._values[()] = 0.0

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(str(labels[n]) for n in self.labelnames)
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(str(labels[n]) for n in self.labelnames), 0.0)

    def render(self) -> list[str]:
        with self._lock:
            items = sorted(self._values.items())
        return self.header() + [f"{self.name}{_labels(self.labelnames, k)} {_num(v)}" for k, v in items]


class Gauge(Counter):
    kind = "gauge"

    def dec(self, amount: float = 1.0, **labels: str) -> None:
        self.inc(-amount, **labels)


class Histogram(_Metric):
    kind = "histogram"

    def __init__(self, name: str, help: str, labelnames: Sequence[str] = (), buckets: Sequence[float] = HTTP_BUCKETS):
        super().__init__(name, help, labelnames)
        self.buckets = tuple(sorted(buckets))
        self._series: dict[tuple[str, ...], list[float]] = {}  # counts per bucket..., sum, count

    def observe(self, value: float, **labels: str) -> None:
        key = tuple(str(labels[n]) for n in self.labelnames)
        with self._lock:
            s = self._series.setdefault(key, [0.0] * (len(self.buckets) + 2))
            for i, upper in enumerate(self.buckets):
                if value <= upper:
                    s[i] += 1
            s[-2] += value
            s[-1] += 1

    def render(self) -> list[str]:
        with self._lock:
            items = sorted((k, list(v)) for k, v in self._series.items())
        out = self.header()
        for key, s in items:
            for i, upper in enumerate(self.buckets):
                le = 'le="' + _num(upper) + '"'
                out.append(f"{self.name}_bucket{_labels(self.labelnames, key, le)} {_num(s[i])}")
            inf = 'le="+Inf"'
            out.append(f"{self.name}_bucket{_labels(self.labelnames, key, inf)} {_num(s[-1])}")
            out.append(f"{self.name}_sum{_labels(self.labelnames, key)} {_num(s[-2])}")
            out.append(f"{self.name}_count{_labels(self.labelnames, key)} {_num(s[-1])}")
        return out


class Metrics:
    """The service's metrics; one instance per app."""

    def __init__(self) -> None:
        self.requests = Counter(
            "assistant_http_requests_total",
            "Requêtes HTTP reçues, par route, méthode et statut.",
            ("route", "method", "status"),
        )
        self.duration = Histogram(
            "assistant_http_request_duration_seconds",
            "Durée des requêtes HTTP (secondes), par route.",
            ("route",),
            HTTP_BUCKETS,
        )
        self.in_progress = Gauge("assistant_http_requests_in_progress", "Requêtes HTTP en cours de traitement.")
        self.stages = Histogram(
            "assistant_answer_stage_seconds",
            "Durée des étapes d'une réponse (secondes) : recherche, premier mot, totale.",
            ("stage",),
            STAGE_BUCKETS,
        )
        self.answers = Counter("assistant_answers_total", "Réponses produites, selon l'abstention.", ("abstained",))
        self.tokens = Counter("assistant_tokens_total", "Jetons traités par le modèle de langage.", ("kind",))
        self.energy = Counter("assistant_energy_wh_total", "Énergie des réponses (Wh, mesurée ou estimée).")
        self.co2e = Counter("assistant_co2e_grams_total", "Émissions estimées des réponses (gCO2e).")
        self._all: list[_Metric] = [
            self.requests, self.duration, self.in_progress, self.stages, self.answers, self.tokens, self.energy, self.co2e,
        ]  # fmt: skip

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.inc(route=route, method=method, status=str(status))
        self.duration.observe(seconds, route=route)

    def observe_answer(self, out: dict) -> None:
        timings = out.get("timings") or {}
        for stage in ("retrieval", "ttft", "total"):
            ms = timings.get(f"{stage}_ms")
            if isinstance(ms, int | float):
                self.stages.observe(ms / 1000.0, stage=stage)
        self.answers.inc(abstained="true" if out.get("abstained") else "false")
        tokens = out.get("tokens") or {}
        for kind in ("prompt", "completion"):
            n = tokens.get(kind)
            if isinstance(n, int | float) and n > 0:
                self.tokens.inc(n, kind=kind)
        energy = out.get("energy") or {}
        if isinstance(energy.get("wh"), int | float):
            self.energy.inc(float(energy["wh"]))
        if isinstance(energy.get("co2e_g"), int | float):
            self.co2e.inc(float(energy["co2e_g"]))

    def render(self) -> str:
        lines: list[str] = []
        for m in self._all:
            lines.extend(m.render())
        return "\n".join(lines) + "\n"
