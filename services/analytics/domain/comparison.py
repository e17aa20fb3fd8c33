"""公共信息对比分析 (#5): the departments' data side by side per township — the registered entities
(market regulation) against those with tax and with power in the month, and of each department's
records how many the matcher linked to an entity, could not link, or has not judged yet.

Why it matters: "no tax" (用电无税, an entity without tax in the tax list) can only be believed where
the tax records are linked. A township whose records are largely unlinked or pending shows entities
"without tax" whose tax sits in an unlinked record. Coverage is the linked share of a township's
tax and power records of the month (and their registers); below the threshold (setting
`comparison_low_coverage_pct`) the township is flagged: its absence figures are not to be trusted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.reference import TOWNSHIPS

from services.analytics.domain.overview import MATCH_FAILED, MATCH_OK, MATCH_PENDING

# the departments compared, and their record kinds: the monthly one (of the period) and the register (current)
DEPARTMENTS = {"tax": ("tax_payment", "tax_registration"), "power_supply": ("power_usage", "power_account")}
DEPARTMENT_ZH = {"tax": "税务", "power_supply": "供电"}
KIND_ZH = {"tax_payment": "月度纳税", "tax_registration": "税务登记", "power_usage": "月度用电", "power_account": "用电户档案"}


def share_pct(part: int, whole: int) -> float | None:
    """`part` of `whole` in percent, one decimal; None of nothing (no records is not 0% linked)."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Links:
    """Records by the matcher's verdict."""

    linked: int = 0
    unlinked: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.linked + self.unlinked + self.pending

    def add(self, other: Links) -> None:
        self.linked += other.linked
        self.unlinked += other.unlinked
        self.pending += other.pending

    def count(self, match_rank: int, n: int) -> None:
        if match_rank == MATCH_OK:
            self.linked += n
        elif match_rank == MATCH_FAILED:
            self.unlinked += n
        elif match_rank == MATCH_PENDING:
            self.pending += n

    def shares(self) -> dict[str, float | None]:
        return {"linked_pct": share_pct(self.linked, self.total), "unlinked_pct": share_pct(self.unlinked, self.total),
                "pending_pct": share_pct(self.pending, self.total)}


@dataclass
class TownshipComparison:
    registered: int = 0  # entities registered (existing) at the month's end
    with_tax: int = 0  # entities with a tax figure in the month
    with_power: int = 0  # entities with a power figure in the month
    kinds: dict[str, Links] = field(default_factory=lambda: {k: Links() for ks in DEPARTMENTS.values() for k in ks})

    def department(self, department: str) -> Links:
        """The department's records of the month and its register together."""
        total = Links()
        for kind in DEPARTMENTS[department]:
            total.add(self.kinds[kind])
        return total

    def add(self, other: TownshipComparison) -> None:
        self.registered += other.registered
        self.with_tax += other.with_tax
        self.with_power += other.with_power
        for kind, links in other.kinds.items():
            self.kinds[kind].add(links)

    @property
    def coverage_pct(self) -> float | None:
        """The linked share of all the township's compared records."""
        total = Links()
        for department in DEPARTMENTS:
            total.add(self.department(department))
        return share_pct(total.linked, total.total)


def low_coverage(coverage_pct: float | None, threshold_pct: float) -> bool:
    """Flagged: records exist and fewer than `threshold_pct` of them are linked."""
    return coverage_pct is not None and coverage_pct < threshold_pct


def entity_pct(count: int, registered: int) -> float | None:
    """Entities with a department's figure, of the registered ones (may exceed 100: records linked
    to entities registered elsewhere or not yet known to analytics)."""
    return share_pct(count, registered)


def comparison(
    registered: Mapping[str, int], with_figures: Iterable[tuple[str, int, int]], records: Iterable[tuple[str, str, int, int]],
    township_prefix: str,
) -> tuple[dict[str, TownshipComparison], TownshipComparison]:
    """Every township of the area (zeros too), and their totals. `with_figures`: (township, entities
    with tax, entities with power); `records`: (township, kind, match_rank, count)."""
    rows = {code: TownshipComparison() for code in sorted(TOWNSHIPS) if code.startswith(township_prefix)}
    for code, n in registered.items():
        if code in rows:
            rows[code].registered = n
    for code, tax, power in with_figures:
        if code in rows:
            rows[code].with_tax, rows[code].with_power = tax, power
    for code, kind, rank, n in records:
        if code in rows and kind in rows[code].kinds:
            rows[code].kinds[kind].count(rank, n)
    totals = TownshipComparison()
    for row in rows.values():
        totals.add(row)
    return rows, totals
