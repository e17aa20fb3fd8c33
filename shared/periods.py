"""Reporting periods as every service writes them: months "YYYY-MM"."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=65536)  # a backtest asks the same few hundred periods millions of times
def shift(period: str, months: int) -> str:
    """The month `months` after (before, when negative) a "YYYY-MM" period."""
    index = int(period[:4]) * 12 + int(period[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
