"""Workbooks (.xlsx) people download, in one house style: a title row saying what and as of when,
Chinese headers (bold, filled, frozen, filterable), figures left as numbers with a number format
(empty where there is none) so they can be sorted, filtered and rechecked in Excel.

Written with XlsxWriter, which streams cells straight to the sheet's XML: openpyxl builds a cell
object and a style per cell and was ~60 % of the township report workbook's time, the costliest
call of the dashboards under load (docs/benchmarks/dashboard.md). Every value is written by its
type, never through XlsxWriter's guessing `write()`: a text starting with "=" stays text, not a
formula."""

from __future__ import annotations

import asyncio
import io
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from pydantic import BaseModel
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

COUNT, RATE, HOURS, TEXT, MONEY = "0", "0.0%", "0.0", "@", "#,##0.00"
AMOUNT = "#,##0"  # kWh and other whole quantities
PERCENT = '0.0"%"'  # a figure already in per cent (12.5 means 12.5 %), as the dashboards' *_pct
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER = {"bold": True, "bg_color": "#DDEBF7", "pattern": 1, "align": "center", "valign": "vcenter", "text_wrap": True}


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], object]  # the row's cell
    number_format: str | Callable[[Any], str]  # one for the column, or the row's own
    width: int


class Book:
    """A workbook being written in memory: sheets in the order they are added, formats shared."""

    def __init__(self) -> None:
        self._out = io.BytesIO()
        self._workbook = xlsxwriter.Workbook(self._out, {"in_memory": True, "nan_inf_to_errors": True})
        self._formats: dict[str, Format] = {}
        self.title_format = self._workbook.add_format({"bold": True, "font_size": 14})
        self.header_format = self._workbook.add_format(_HEADER)

    def add_sheet(self, name: str) -> Worksheet:
        return self._workbook.add_worksheet(name)

    def number(self, number_format: str) -> Format:
        if number_format not in self._formats:
            self._formats[number_format] = self._workbook.add_format({"num_format": number_format})
        return self._formats[number_format]

    def close(self) -> bytes:
        self._workbook.close()
        return self._out.getvalue()


def new_workbook() -> Book:
    return Book()


def saved(book: Book) -> bytes:
    return book.close()


async def written_aside(write: Callable[..., bytes], *args: Any) -> bytes:
    """`write(*args)` in a worker process, not in the service's: a township's monthly report is ~5,000
    cells, 45–90 ms of XlsxWriter, the costliest part of the dashboards' costliest call. On a thread
    it still held the interpreter (one core for the service's every call); in its own process it runs
    on the other core while the service answers. Pydantic models travel as their JSON (a township's
    report: 1.4 ms to send, against 4.7 ms pickled)."""
    args = tuple(_Sent(type(a), a.model_dump_json()) if isinstance(a, BaseModel) else a for a in args)
    loop, writer = asyncio.get_running_loop(), _writer()
    try:
        return await loop.run_in_executor(writer, _write_sent, write, *args)
    except BrokenProcessPool:  # the worker died (killed, out of memory): a new one, once
        if _writers and _writers[0] is writer:
            _writers.clear()
            writer.shutdown(wait=False)
        return await loop.run_in_executor(_writer(), _write_sent, write, *args)


@dataclass(frozen=True)
class _Sent:
    model: type[BaseModel]
    json: str


_writers: list[ProcessPoolExecutor] = []  # the one worker process, started by the first workbook


def _writer() -> ProcessPoolExecutor:
    if not _writers:
        _writers.append(ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")))
    return _writers[0]


def _write_sent(write: Callable[..., bytes], *args: Any) -> bytes:
    return write(*(a.model.model_validate_json(a.json) if isinstance(a, _Sent) else a for a in args))


def write_sheet(book: Book, name: str, title: str, columns: Sequence[Column], rows: Sequence[Any]) -> None:
    """The sheet `name`: row 1 the title, row 2 the headers (frozen, filterable), then one row per item."""
    sheet = book.add_sheet(name)
    width = max(len(columns), 1)
    if width > 1:
        sheet.merge_range(0, 0, 0, width - 1, title, book.title_format)
    else:
        sheet.write_string(0, 0, title, book.title_format)
    for index, column in enumerate(columns):
        sheet.write_string(1, index, column.header, book.header_format)
        sheet.set_column(index, index, column.width)
    last = 1
    for last, row in enumerate(rows, 2):
        for index, column in enumerate(columns):
            number_format = column.number_format if isinstance(column.number_format, str) else column.number_format(row)
            _write(sheet, last, index, column.value(row), book.number(number_format))
    sheet.set_row(1, 32)
    sheet.freeze_panes(2, 0)
    sheet.autofilter(1, 0, last, width - 1)


def _write(sheet: Worksheet, row: int, column: int, value: object, cell_format: Format) -> None:
    if value is None:
        sheet.write_blank(row, column, None, cell_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value, cell_format)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, float(value) if isinstance(value, Decimal) else value, cell_format)
    elif isinstance(value, datetime | date):
        sheet.write_string(row, column, value.isoformat(), cell_format)
    else:
        sheet.write_string(row, column, str(value), cell_format)
