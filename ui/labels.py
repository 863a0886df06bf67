"""Names a person can read: automatic run labels that tell runs apart, and parameter labels without LaTeX."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from optimizers import OPTIMIZERS, SCHEDULES
from surfaces.params import Param

if TYPE_CHECKING:  # ui.config uses run_labels: the record is only a type here
    from .config import RunConfig

# The LaTeX symbols the registries use, as the characters a screen reader (and a legend) can say.
SYMBOLS = {
    r"\eta": "η", r"\mu": "μ", r"\beta_1": "β₁", r"\beta_2": "β₂", r"\epsilon": "ε", r"\lambda": "λ",
    r"\tau": "τ", r"\rho": "ρ", r"\alpha": "α", r"\delta": "δ", r"\gamma": "γ", r"\sigma_s": "σₛ",
    r"\kappa": "κ", r"\theta": "θ", r"\sigma": "σ", r"\eta_{\min}": "η_min",
}


def plain_symbol(param: Param) -> str:
    """``param.symbol`` without LaTeX ("η" for ``\\eta``); the parameter's name when it has no symbol."""
    if not param.symbol:
        return param.name
    return SYMBOLS.get(param.symbol, param.symbol.replace("\\", "").replace("{", "").replace("}", ""))


def plain_label(param: Param) -> str:
    """A widget label with no raw LaTeX: "learning rate η"."""
    label = param.label or param.name
    return f"{label} {plain_symbol(param)}" if param.symbol else label


def _settings(run: RunConfig) -> dict[str, str]:
    """Every setting of a run that can tell it apart, as "symbol=value" text keyed by what it is."""
    spec = OPTIMIZERS[run.optimizer]
    values = {p.name: p.default for p in spec.params} | dict(run.hparams)
    out = {f"h.{p.name}": f"{plain_symbol(p)}={_value(values[p.name])}" for p in spec.params}
    out["schedule"] = SCHEDULES[run.schedule].title.split(" (")[0].lower()
    if run.schedule != "constant":
        schedule_values = {p.name: p.default for p in SCHEDULES[run.schedule].params} | dict(run.schedule_params)
        for p in SCHEDULES[run.schedule].params:
            out[f"s.{p.name}"] = f"{plain_symbol(p)}={_value(schedule_values[p.name])}"
    out["batch"] = f"B={run.batch_size}" if run.batch_size else "full batch"
    return out


def _value(v) -> str:
    return f"{v:g}" if isinstance(v, float | int) and not isinstance(v, bool) else str(v)


def run_labels(runs: Sequence[RunConfig]) -> list[str]:
    """One label per run: its own label if it has one, else the optimizer's title plus what differs.

    Runs of the same optimizer are told apart by the settings in which they differ, in registry order
    ("SGD η=0.01", "SGD η=0.1"); a lone run of its optimizer shows its learning rate, if it has one. Runs
    identical in every setting get "(2)", "(3)"... so that no two labels are equal.
    """
    settings = [_settings(run) for run in runs]
    labels = []
    for i, run in enumerate(runs):
        if run.label:
            labels.append(run.label)
            continue
        same = [j for j, other in enumerate(runs) if other.optimizer == run.optimizer and not other.label]
        keys = [k for k in settings[i] if len({settings[j].get(k) for j in same}) > 1]
        if len(same) == 1 and "h.lr" in settings[i]:
            keys = ["h.lr"]
        labels.append(" ".join([OPTIMIZERS[run.optimizer].title, *(settings[i][k] for k in keys)]))
    plain = list(labels)
    for i, label in enumerate(plain):  # identical twins (a run just duplicated): number them
        twins = [j for j, other in enumerate(plain) if other == label]
        if len(twins) > 1:
            labels[i] = f"{label} ({twins.index(i) + 1})"
    return labels


def slider_step(param: Param) -> float:
    """A linear slider's step: the parameter's own, else the power of ten giving about 100 stops."""
    return param.step or 10.0 ** math.floor(math.log10((param.high - param.low) / 100.0))


def slider_format(param: Param) -> str:
    """A printf format showing as many decimals as the step and the default need: β₂ = 0.999 reads
    "0.9990", never "1.00"."""
    decimals = [-math.floor(math.log10(slider_step(param)))]
    if isinstance(param.default, float) and param.default:
        decimals.append(len(f"{param.default:.10g}".split(".")[1]) if "." in f"{param.default:.10g}" else 0)
    return f"%.{max(0, *decimals)}f"
