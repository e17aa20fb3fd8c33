"""Robust statistics over one period's population: the tax-per-kWh interval of an industry (税电比
合理区间) and the peers an entity's tax burden is measured against (纳税异常).

Percentiles, medians and MADs, because a handful of shell companies with absurd ratios must not
stretch the interval that is meant to catch them; fenced, and on the log scale where a city says
so, because tax and tax per kWh spread by factors and plain percentiles always flag their share. Fitted in one pass over all entities and
periods, then looked up per entity-month: the judging path stays a dictionary lookup.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import exp, log
from typing import TYPE_CHECKING

import numpy as np

from services.alerting.domain.history import History, Interval, Month, Peers, Population, division

if TYPE_CHECKING:
    from services.alerting.domain.ruleset import ConfiguredInterval, RuleSet

CONFIGURED, FITTED = "configured", "fitted"


def burden(month: Month, measure: str, min_kwh: float, min_tax: float, scale: str = "linear") -> float | None:
    """The month's tax burden — tax per kWh, or tax alone — when its figures reach the bases (and,
    to be compared on the log scale, when it is positive)."""
    tax = month.tax
    if tax is None or tax < min_tax or (scale == "log" and tax <= 0):
        return None
    if measure == "tax":
        return tax
    kwh = month.kwh
    return None if kwh is None or kwh < min_kwh or kwh <= 0 else tax / kwh


def scaled(value: float, scale: str) -> float:
    return log(value) if scale == "log" else value


def unscaled(value: float, scale: str) -> float:
    return exp(value) if scale == "log" else value


def interval_for(
    configured: Mapping[tuple[str, str | None], ConfiguredInterval],
    population: Population,
    industry_division: str,
    county: str,
) -> Interval | None:
    """The interval an entity is judged by: the city's own for its county, then for its industry,
    then the fitted one for its county (there are such only when the rule fits by county), then for
    its industry; None when none is known, and the entity is not judged."""
    for key in ((industry_division, county), (industry_division, None)):
        if (chosen := configured.get(key)) is not None:
            return Interval(chosen.low, chosen.high, 0, CONFIGURED)
    fitted = population.intervals
    return fitted.get((industry_division, county)) or fitted.get((industry_division, None))


@dataclass
class Samples:
    """What fitting reads from the histories — each period's ratios and burdens by industry (and
    county) — kept apart from them, so a population too large to hold as histories is sampled chunk
    by chunk where the chunks are loaded, merged, then fitted (backtests). Compact arrays: 600,000
    entities × 36 months is tens of millions of values."""

    ratios: defaultdict[tuple[str, str, str | None], array] = field(default_factory=lambda: defaultdict(_values))
    burdens: defaultdict[tuple[str, str], array] = field(default_factory=lambda: defaultdict(_values))

    def merge(self, other: Samples) -> None:
        for key, values in other.ratios.items():
            self.ratios[key].extend(values)
        for key, values in other.burdens.items():
            self.burdens[key].extend(values)


def _values() -> array:
    return array("d")


def sample(ruleset: RuleSet, histories: Iterable[History], periods: Sequence[str]) -> Samples:
    """The values each period's population is fitted on, in one pass over the histories."""
    ratio, peers = ruleset.params("tax_power_ratio"), ruleset.params("tax_vs_peers")
    samples = Samples()
    ratios, burdens = samples.ratios, samples.burdens
    for history in histories:
        industry = division(history.entity.industry_code)
        if industry is None:
            continue
        for period in periods:
            month = history.months.get(period)
            if month is None:
                continue
            if ratio is not None and (r := burden(month, "tax_per_kwh", ratio.min_kwh, ratio.min_tax)) is not None:
                ratios[(period, industry, None)].append(r)
                if ratio.by_county:
                    ratios[(period, industry, history.entity.county)].append(r)
            if peers is not None and (b := burden(month, peers.measure, peers.min_kwh, peers.min_tax, peers.scale)) is not None:
                burdens[(period, industry)].append(scaled(b, peers.scale))
    return samples


def fit(ruleset: RuleSet, samples: Samples, periods: Sequence[str]) -> dict[str, Population]:
    """Every period's intervals and peers from its samples."""
    ratio, peers = ruleset.params("tax_power_ratio"), ruleset.params("tax_vs_peers")
    intervals: defaultdict[str, dict[tuple[str, str | None], Interval]] = defaultdict(dict)
    for (period, industry, county), values in samples.ratios.items():
        if len(values) >= ratio.fit.min_peers:
            low, high = fenced(np.percentile(values, [ratio.fit.low_percentile, ratio.fit.high_percentile]), ratio.fit.fence)
            intervals[period][(industry, county)] = Interval(low, high, len(values), FITTED)
    medians: defaultdict[str, dict[str, Peers]] = defaultdict(dict)
    for (period, industry), values in samples.burdens.items():
        if len(values) >= peers.min_peers:
            medians[period][industry] = robust_spread(values)
    return {period: Population(intervals=intervals.get(period, {}), peers=medians.get(period, {})) for period in periods}


def fit_populations(ruleset: RuleSet, histories: Iterable[History], periods: Sequence[str]) -> dict[str, Population]:
    """Every period's population in one pass over the histories."""
    return fit(ruleset, sample(ruleset, histories, periods), periods)


def fenced(percentiles: Sequence[float], fence: float) -> tuple[float, float]:
    """The percentiles widened by `fence` times their spread on the log scale: low / (high / low)^fence
    to high × (high / low)^fence, Tukey's fences for a quantity that spreads by factors."""
    low, high = float(percentiles[0]), float(percentiles[1])
    if fence == 0 or low <= 0:
        return low, high
    widening = (high / low) ** fence
    return low / widening, high * widening


def fit_population(ruleset: RuleSet, histories: Iterable[History], period: str) -> Population:
    return fit_populations(ruleset, histories, [period])[period]


def robust_spread(values: Sequence[float]) -> Peers:
    """Median and median absolute deviation: the centre and spread a few outliers cannot move."""
    array = np.asarray(values, dtype=float)
    median = float(np.median(array))
    return Peers(median=median, mad=float(np.median(np.abs(array - median))), count=len(array))


def robust_z(value: float, peers: Peers) -> float | None:
    """Iglewicz and Hoaglin's modified z-score; None when the peers do not spread at all."""
    return None if peers.mad == 0 else 0.6745 * (value - peers.median) / peers.mad
