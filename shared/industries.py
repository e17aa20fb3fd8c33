"""GB/T 4754-2017, the national industry classification: which 门类 (section letter) each 大类 (two
digits) belongs to, and the sections' names. A national standard, so one table for every service."""

from __future__ import annotations

# the first 大类 of each 门类
_SECTION_STARTS = (
    (1, "A"), (6, "B"), (13, "C"), (44, "D"), (47, "E"), (51, "F"), (53, "G"), (61, "H"), (63, "I"),
    (66, "J"), (70, "K"), (71, "L"), (73, "M"), (76, "N"), (80, "O"), (83, "P"), (84, "Q"), (86, "R"),
    (91, "S"), (97, "T"),
)  # fmt: skip
SECTION_NAMES = {
    "A": "农、林、牧、渔业", "B": "采矿业", "C": "制造业", "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业", "F": "批发和零售业", "G": "交通运输、仓储和邮政业", "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业", "J": "金融业", "K": "房地产业", "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业", "N": "水利、环境和公共设施管理业", "O": "居民服务、修理和其他服务业",
    "P": "教育", "Q": "卫生和社会工作", "R": "文化、体育和娱乐业", "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}  # fmt: skip


def section_of(major: int) -> str | None:
    """The 门类 letter of a 大类 number (13 → "C"); None below the first."""
    return next((letter for start, letter in reversed(_SECTION_STARTS) if major >= start), None)
