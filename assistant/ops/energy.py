"""Energy and carbon per answer: measured with RAPL when readable, else estimated.

Estimate (method "estimation-cpu"): CPU time of this process (user + system, all
threads) × a per-core power draw, default 10 W per busy core (a mid-range server
core under full load; set ASSISTANT_WATTS_PER_CORE for your hardware). RAPL (method
"rapl") reads the CPU package counters of /sys/class/powercap; it counts the whole
package, other processes included, so it is an upper bound for the answer.
Carbon: French grid average, default 52 gCO2e/kWh (ADEME Base Empreinte, électricité,
mix moyen France; set ASSISTANT_CARBON_G_PER_KWH). An estimate is never labelled as
a measurement: the method is returned with every figure.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

RAPL_ROOT = Path("/sys/class/powercap")
WATTS_PER_CORE = float(os.environ.get("ASSISTANT_WATTS_PER_CORE", "10"))
CARBON_G_PER_KWH = float(os.environ.get("ASSISTANT_CARBON_G_PER_KWH", "52"))
METHOD_ESTIMATE = (
    f"estimation-cpu : temps CPU du processus × {WATTS_PER_CORE:g} W par cœur actif ; "
    f"{CARBON_G_PER_KWH:g} gCO2e/kWh (mix électrique moyen France, ADEME Base Empreinte)"
)
METHOD_RAPL = f"rapl : compteurs d'énergie du processeur (paquet entier) ; {CARBON_G_PER_KWH:g} gCO2e/kWh (ADEME)"


def _rapl_files() -> list[Path]:
    try:
        files = sorted(RAPL_ROOT.glob("intel-rapl:*/energy_uj"))
        return [f for f in files if f.parent.name.count(":") == 1 and os.access(f, os.R_OK)]
    except OSError:
        return []


def _read_uj(files: list[Path]) -> float | None:
    try:
        return float(sum(int(f.read_text()) for f in files))
    except (OSError, ValueError):
        return None


def _cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


@dataclass(frozen=True)
class Energy:
    wh: float
    co2e_g: float
    method: str
    cpu_s: float = 0.0

    def as_dict(self) -> dict:
        return {"wh": round(self.wh, 5), "co2e_g": round(self.co2e_g, 5), "method": self.method}


class EnergyMeter:
    """`with EnergyMeter() as m: …` then `m.result`."""

    def __init__(self) -> None:
        self._rapl = _rapl_files()
        self.result = Energy(0.0, 0.0, METHOD_ESTIMATE)

    def __enter__(self) -> EnergyMeter:
        self._t0 = time.perf_counter()
        self._cpu0 = _cpu_seconds()
        self._uj0 = _read_uj(self._rapl) if self._rapl else None
        return self

    def __exit__(self, *exc: object) -> None:
        cpu = max(0.0, _cpu_seconds() - self._cpu0)
        uj1 = _read_uj(self._rapl) if self._uj0 is not None else None
        if uj1 is not None and self._uj0 is not None and uj1 >= self._uj0:
            wh, method = (uj1 - self._uj0) / 3.6e9, METHOD_RAPL
        else:
            wh, method = cpu * WATTS_PER_CORE / 3600.0, METHOD_ESTIMATE
        self.result = Energy(wh, wh / 1000.0 * CARBON_G_PER_KWH, method, cpu)
