"""Workbooks (.xlsx) people download, in one house style: a title row saying what and as of when,
Chinese headers (bold, filled, frozen, filterable), figures left as numbers with a number format
(empty where there is none) so they can be sorted, filtered and rechecked in Excel."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

COUNT, RATE, HOURS, TEXT, MONEY = "0", "0.0%", "0.0", "@", "#,##0.00"
AMOUNT = "#,##0"  # kWh and other whole quantities
PERCENT = '0.0"%"'  # a figure already in per cent (12.5 means 12.5 %), as the dashboards' *_pct
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], object]  # the row's cell
    number_format: str
    width: int


def new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def saved(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_sheet(sheet: Worksheet, title: str, columns: Sequence[Column], rows: Sequence[Any]) -> None:
    """Row 1 the title, row 2 the headers (frozen, filterable), then one row per item."""
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(columns), 1))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([column.header for column in columns])
    for index, column in enumerate(columns, 1):
        header = sheet.cell(row=2, column=index)
        header.font = Font(bold=True)
        header.fill = _HEADER_FILL
        header.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    last = 2
    for last, row in enumerate(rows, 3):  # cells by their row number: openpyxl's max_row scans every cell
        sheet.append([column.value(row) for column in columns])
        for index, column in enumerate(columns, 1):
            sheet.cell(row=last, column=index).number_format = column.number_format
    sheet.row_dimensions[2].height = 32
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{last}"
