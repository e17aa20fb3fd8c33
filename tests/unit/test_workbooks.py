"""The house style of downloaded workbooks (shared/workbooks.py), read back as Excel would."""

import io
import os
import signal
from datetime import UTC, datetime
from decimal import Decimal

from openpyxl import load_workbook
from pydantic import BaseModel

from shared.workbooks import COUNT, MONEY, TEXT, Column, new_workbook, saved, write_sheet, written_aside

COLUMNS = (
    Column("名称", lambda row: row["name"], TEXT, 20),
    Column("数值", lambda row: row["value"], lambda row: COUNT if row["whole"] else MONEY, 12),
)


def _sheet(rows):
    book = new_workbook()
    write_sheet(book, "表", "某镇 2026年11月", COLUMNS, rows)
    return load_workbook(io.BytesIO(saved(book)))["表"]


def test_a_sheet_has_its_title_headers_frozen_and_filtered_and_numbers_as_numbers():
    sheet = _sheet([{"name": "甲公司", "value": 12, "whole": True}, {"name": "乙公司", "value": Decimal("3.5"), "whole": False}])
    assert sheet["A1"].value == "某镇 2026年11月" and {str(r) for r in sheet.merged_cells.ranges} == {"A1:B1"}
    assert [c.value for c in sheet[2]] == ["名称", "数值"] and sheet["A2"].font.b
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:B4"
    assert [(c.value, c.number_format) for c in sheet["B"][2:]] == [(12, COUNT), (3.5, MONEY)]


def test_text_that_looks_like_a_formula_stays_text_and_nothing_is_an_empty_cell():
    sheet = _sheet([{"name": "=HYPERLINK(\"http://x\")", "value": None, "whole": True}])
    assert sheet["A3"].value == "=HYPERLINK(\"http://x\")" and sheet["A3"].data_type == "s"
    assert sheet["B3"].value is None and sheet["B3"].number_format == COUNT


class Listing(BaseModel):
    title: str
    made: datetime
    rows: list[dict]


def listing_workbook(listing: Listing, footnote: str) -> bytes:
    """A workbook whose sheet says which process wrote it and what arrived there."""
    book = new_workbook()
    arrived = f"{type(listing).__name__} {listing.made.isoformat()} {footnote}"
    write_sheet(book, str(os.getpid()), arrived, COLUMNS, listing.rows)
    return saved(book)


def _written(content: bytes):
    [sheet] = load_workbook(io.BytesIO(content)).worksheets
    return int(sheet.title), sheet["A1"].value, [c.value for c in sheet["A"][2:]]


async def test_a_workbook_is_written_in_a_worker_process_from_the_same_model():
    listing = Listing(title="某镇 2026年11月", made=datetime(2026, 12, 2, 8, tzinfo=UTC),
                      rows=[{"name": "甲公司", "value": 12, "whole": True}])
    writer, title, names = _written(await written_aside(listing_workbook, listing, "注"))
    assert writer != os.getpid()
    assert title == "Listing 2026-12-02T08:00:00+00:00 注" and names == ["甲公司"]


async def test_a_worker_that_died_is_replaced_and_the_workbook_still_written():
    listing = Listing(title="某镇", made=datetime(2026, 12, 2, tzinfo=UTC), rows=[])
    first, _, _ = _written(await written_aside(listing_workbook, listing, ""))
    os.kill(first, signal.SIGKILL)
    second, title, _ = _written(await written_aside(listing_workbook, listing, ""))
    assert second not in (first, os.getpid()) and title.startswith("Listing")
