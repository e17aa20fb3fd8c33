"""规模档: the bands of 注册资本 (in 万元) 企业信息多维分析 groups entities by.

The city tunes them in a data file (rules/size_bands.csv: code, name, lower_wan — each band's lower
bound, inclusive; a band reaches up to the next one's lower bound). Bands given by their lower bounds
alone cannot overlap or leave a gap between them; what can go wrong is order (a band below the one
before it), a lower bound given twice (an empty band), a first band not starting at 0 (capital below
it in no band), a code given twice. The service refuses to start with such a file and says file,
line and reason (SizeBandsError). An entity that declared no capital is in the band 未申报.
"""

from __future__ import annotations

import csv
import io
import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from shared.datafile import DataFileError, display

DEFAULT_SIZE_BANDS = Path(__file__).resolve().parent.parent / "rules" / "size_bands.csv"
UNDECLARED = "undeclared"
UNDECLARED_NAME = "未申报"
_HEADER = ["code", "name", "lower_wan"]
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class SizeBandsError(DataFileError):
    """A band file the service refuses to start with."""


@dataclass(frozen=True)
class SizeBand:
    code: str
    name: str
    lower: float  # 万元, inclusive


@dataclass(frozen=True)
class SizeBands:
    bands: tuple[SizeBand, ...]  # lowest first; the first starts at 0

    def band_of(self, capital: float | None) -> str:
        """The code of the band `capital` (万元) falls in; 未申报 without one."""
        if capital is None:
            return UNDECLARED
        return self.bands[max(bisect_right([b.lower for b in self.bands], capital) - 1, 0)].code

    @property
    def codes(self) -> list[str]:
        """Every band, 未申报 last (the order tables show them in)."""
        return [b.code for b in self.bands] + [UNDECLARED]

    def name(self, code: str) -> str:
        return next((b.name for b in self.bands if b.code == code), UNDECLARED_NAME if code == UNDECLARED else code)


def parse_size_bands(text: str, name: str) -> SizeBands:
    """The bands in CSV text; SizeBandsError (file, line, field, reason) at the first wrong line."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [c.strip() for c in rows[0]] != _HEADER:
        raise SizeBandsError(name, 1, "", f"表头应为 {','.join(_HEADER)}")
    bands: list[SizeBand] = []
    for line, row in enumerate(rows[1:], 2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(_HEADER):
            raise SizeBandsError(name, line, "", f"应有 {len(_HEADER)} 列，实有 {len(row)} 列")
        code, zh, lower_text = (c.strip() for c in row)
        if not _CODE.match(code) or code == UNDECLARED:
            raise SizeBandsError(name, line, "code", f"代码 {code!r} 无效（小写字母开头的字母、数字、下划线；{UNDECLARED} 为保留代码）")
        if any(b.code == code for b in bands):
            raise SizeBandsError(name, line, "code", f"代码 {code} 重复")
        if not zh:
            raise SizeBandsError(name, line, "name", "缺少中文名称")
        try:
            lower = float(lower_text)
        except ValueError:
            raise SizeBandsError(name, line, "lower_wan", f"下限 {lower_text!r} 应为数字（万元）") from None
        if not math.isfinite(lower):
            raise SizeBandsError(name, line, "lower_wan", f"下限 {lower_text!r} 应为有限的数字（万元）")
        if not bands and lower != 0:
            raise SizeBandsError(name, line, "lower_wan", "第一档的下限应为 0（否则低于它的注册资本不属于任何一档）")
        if bands and lower <= bands[-1].lower:
            raise SizeBandsError(name, line, "lower_wan", f"下限 {lower_text} 应大于上一档的下限 {bands[-1].lower:g}（按从小到大排列，不能重叠）")
        bands.append(SizeBand(code, zh, lower))
    if not bands:
        raise SizeBandsError(name, 1, "", "至少需要一档")
    return SizeBands(tuple(bands))


@cache
def load_size_bands(path: Path = DEFAULT_SIZE_BANDS) -> SizeBands:
    """The bands in a file (read once: the service loads them at start, its requests reuse them)."""
    return parse_size_bands(path.read_text(encoding="utf-8"), display(path))
