"""Uploaded CSV/XLSX exports → (row number, {field: text}) pairs, streamed and with 中文 errors.

Departments export their spreadsheets by hand, so headers vary in width, brackets and "必填"
markers; the parser forgives those but refuses anything it cannot map, because a silently
dropped column is data lost without anyone noticing. Rows are streamed so a million-row CSV
never sits in memory, and every failure is a FileFormatError the uploader can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import BinaryIO, TextIO

import openpyxl

_HEAD_BYTES = 64 * 1024  # enough to judge the encoding, small enough to sniff any upload
_MAX_ROW_CHARS = 1024 * 1024  # an unclosed quote or a newline-free binary file stops here
_SPOOL_BYTES = 8 * 1024 * 1024  # a non-seekable XLSX is kept in memory up to this, then on disk
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary .xls (and .doc): never readable here
_EMPTY = "文件中没有任何内容（没有表头，也没有数据）。"
_SAVE_AGAIN = "请在 Excel 中“另存为” .xlsx 工作簿或“CSV UTF-8（逗号分隔）”文件后重新上传。"
_XLSX_CORRUPT = "Excel 文件已损坏或格式不正确，无法读取。请在 Excel 中打开后重新“另存为” .xlsx 再上传。"

# csv's own per-field limit is process-wide (128 Ki characters by default); raising it to the row
# bound makes _RecordLines the single guard, so a long field is reported as row_too_long.
csv.field_size_limit(max(csv.field_size_limit(), _MAX_ROW_CHARS))


class FileFormatError(ValueError):
    """The upload cannot be read as a table; message_zh tells the uploader what to fix."""

    def __init__(self, code: str, message_zh: str, row: int | None = None) -> None:
        super().__init__(message_zh)
        self.code = code
        self.message_zh = message_zh
        self.row = row


@dataclass(frozen=True)
class SheetRows:
    fields: tuple[str, ...]  # mapped field names, in column order
    rows: Iterator[tuple[int, dict[str, str]]]  # (file row number, {field: stripped non-empty text})


def read_rows(stream: BinaryIO, filename: str, columns: Mapping[str, str]) -> SheetRows:
    """Check the type and header now; data rows are parsed lazily, blank rows skipped.

    Row numbers are those the uploader sees in Excel (the header is normally row 1), so
    downstream validation errors point at the right line.
    """
    extension = os.path.splitext(filename.strip())[1].lower()
    head = _read_head(stream)
    if extension == ".xls" or head.startswith(_OLE_MAGIC):
        raise FileFormatError("unsupported_file_type", "不支持旧版 Excel（.xls）文件，" + _SAVE_AGAIN)
    if extension not in (".csv", ".xlsx"):
        raise FileFormatError(
            "unsupported_file_type", f"不支持“{extension or '无扩展名'}”类型的文件，请上传 .xlsx 或 .csv 文件。"
        )
    if not head:
        raise FileFormatError("empty_file", _EMPTY)
    if extension == ".xlsx":
        if not head.startswith(_ZIP_MAGIC):
            raise FileFormatError(
                "not_a_spreadsheet", "文件扩展名是 .xlsx，但内容不是 Excel 工作簿（可能只是改了扩展名）。" + _SAVE_AGAIN
            )
        records = _xlsx_records(_rewound(stream, head))
    else:
        if head.startswith(_ZIP_MAGIC):
            raise FileFormatError(
                "not_a_spreadsheet", "文件扩展名是 .csv，但内容是 Excel 工作簿或压缩包。" + _SAVE_AGAIN
            )
        records = _csv_records(head, stream)
    return _map_header(_non_blank(records), columns)


def _read_head(stream: BinaryIO) -> bytes:
    """The first _HEAD_BYTES (fewer only at end of file), looping because raw reads may be short."""
    chunks: list[bytes] = []
    wanted = _HEAD_BYTES
    while wanted and (chunk := stream.read(wanted)):
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


class _Replay(io.RawIOBase):
    """The sniffed head followed by the rest of the stream, so sniffing never needs a seek."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._head[: len(buffer)]
        self._head = self._head[len(data) :]
        if not data:
            data = self._rest.read(len(buffer)) or b""
        buffer[: len(data)] = data
        return len(data)


# ---------------------------------------------------------------------------------------- CSV


def _csv_records(head: bytes, rest: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    codec = _sniff_codec(head, at_eof=len(head) < _HEAD_BYTES)
    # surrogateescape turns undecodable bytes into lone surrogates, so they are found per record
    # with an exact row number instead of failing somewhere in an 8 KiB decode chunk.
    text = io.TextIOWrapper(
        io.BufferedReader(_Replay(head, rest)), encoding=codec, errors="surrogateescape", newline=""
    )
    lines = _RecordLines(text, "UTF-8" if codec == "utf-8-sig" else "GBK/GB18030")
    try:
        for row, cells in enumerate(csv.reader(lines), start=1):
            yield row, cells
            lines.next_record()
    except csv.Error as exc:
        raise FileFormatError("csv_malformed", f"第{lines.row}行不符合 CSV 格式。" + _SAVE_AGAIN, lines.row) from exc


def _sniff_codec(head: bytes, at_eof: bool) -> str:
    """UTF-8 (BOM or not) if the head decodes strictly, else GB18030, the superset of GBK.

    The incremental decoder keeps a multi-byte character cut at the head's end pending instead
    of calling it an error.
    """
    for codec in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(codec)().decode(head, final=at_eof)
        except UnicodeDecodeError:
            continue
        return codec
    raise FileFormatError("encoding_unknown", "无法识别文件的字符编码（支持 UTF-8、GBK、GB18030）。" + _SAVE_AGAIN)


_UNDECODED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of undecodable bytes


class _RecordLines:
    """Lines for csv.reader, refusing to buffer more than _MAX_ROW_CHARS for one record.

    Without the bound, a file with no newline (binary junk, an unclosed quote) would be read
    into memory whole before csv sees a single field.
    """

    def __init__(self, text: TextIO, codec_name: str) -> None:
        self._text = text
        self._codec_name = codec_name
        self._record_chars = 0
        self.row = 1  # the record being read, numbered as the uploader counts rows

    def next_record(self) -> None:
        self.row += 1
        self._record_chars = 0

    def __iter__(self) -> _RecordLines:
        return self

    def __next__(self) -> str:
        line = self._text.readline(_MAX_ROW_CHARS + 1 - self._record_chars)
        if not line:
            raise StopIteration
        self._record_chars += len(line)
        if self._record_chars > _MAX_ROW_CHARS:
            raise FileFormatError(
                "row_too_long", f"第{self.row}行超过 1 MB，可能是某个单元格的英文双引号没有闭合，请检查该行。", self.row
            )
        if "\x00" in line:
            raise FileFormatError(
                "not_a_spreadsheet", f"第{self.row}行含有二进制内容（空字符），文件不是文本 CSV。" + _SAVE_AGAIN, self.row
            )
        if _UNDECODED.search(line):
            raise FileFormatError(
                "encoding_unknown",
                f"第{self.row}行含有无法按 {self._codec_name} 编码识别的字符，文件可能混用了多种编码。" + _SAVE_AGAIN,
                self.row,
            )
        return line


# --------------------------------------------------------------------------------------- XLSX


def _rewound(stream: BinaryIO, head: bytes) -> BinaryIO:
    """A seekable stream from the start of the file: openpyxl's zip reader seeks around."""
    if stream.seekable():
        stream.seek(-len(head), io.SEEK_CUR)
        return stream
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    shutil.copyfileobj(_Replay(head, stream), spool)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _xlsx_records(stream: BinaryIO) -> Iterator[tuple[int, list[str]]]:
    """The first worksheet's rows; openpyxl fails on malformed files with all sorts of exceptions
    (zip, XML, zlib, KeyError, ValueError, OSError …), hence the broad catch."""
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:
        raise FileFormatError("xlsx_corrupt", _XLSX_CORRUPT) from exc
    try:
        sheet = workbook.worksheets[0]
        # The stored <dimension> may be stale; openpyxl would stop reading rows there.
        sheet.reset_dimensions()
        for row, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield row, [_cell_text(value) for value in values]
    except Exception as exc:
        raise FileFormatError("xlsx_corrupt", _XLSX_CORRUPT) from exc
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """Cell text as the uploader sees it in Excel.

    Floats keep Excel's 15 significant digits: cached formula results carry binary noise
    (0.1+0.2 is stored as 0.30000000000000004) that would fail decimal-place validation.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(format(value, ".15g")), "f")
    return str(value)


# ------------------------------------------------------------------------------------- header

_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2060\ufeff]")  # whitespace, zero-width marks, BOM
_REQUIRED_MARK = re.compile(r"^\*+|(?:\*|\(必填\))+$")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _header_key(text: str) -> str:
    """Header text as compared: NFKC (（）→ (), full-width → ASCII), no spaces, ASCII lower-case,
    without the "*" / "(必填)" markers export templates put on required columns."""
    key = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).translate(_ASCII_LOWER)
    return _REQUIRED_MARK.sub("", key)


def _non_blank(records: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    for row, cells in records:
        stripped = [cell.strip() for cell in cells]
        if any(stripped):
            yield row, stripped


def _map_header(records: Iterator[tuple[int, list[str]]], columns: Mapping[str, str]) -> SheetRows:
    header = next(records, None)
    if header is None:
        raise FileFormatError("empty_file", _EMPTY)
    fields = _header_fields(*header, columns)
    return SheetRows(tuple(f for f in fields if f), _data_rows(records, fields))


def _header_fields(row: int, names: list[str], columns: Mapping[str, str]) -> list[str | None]:
    """The field of each header cell (None under a blank one); refuses what cannot be mapped."""
    known = {_header_key(text): field for text, field in columns.items()}
    accepted = "、".join(f"“{text}”" for text in columns)
    fields = [known.get(_header_key(name)) if name else None for name in names]
    if not any(fields):
        raise FileFormatError(
            "header_missing", f"第{row}行应为表头，但没有可识别的列名。请在第一行填写表头，可用的列名：{accepted}。", row
        )
    unknown = [_column(i, name) for i, (name, field) in enumerate(zip(names, fields)) if name and not field]
    if unknown:
        raise FileFormatError(
            "header_unknown_columns",
            f"表头中有无法识别的列：{_listing(unknown)}。请删除这些列，或改用可识别的列名：{accepted}。",
            row,
        )
    first_seen: dict[str, int] = {}
    duplicates = []
    for i, field in enumerate(fields):
        if field and (j := first_seen.setdefault(field, i)) != i:
            duplicates.append(f"{_column(i, names[i])}与{_column(j, names[j])}")
    if duplicates:
        raise FileFormatError(
            "header_duplicate_column", f"表头中有重复的列：{_listing(duplicates)}（对应同一字段），请只保留其中一列。", row
        )
    return fields


def _data_rows(
    records: Iterator[tuple[int, list[str]]], fields: list[str | None]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Map cells to fields; a value under no header is an error, not something to drop."""
    for row, cells in records:
        record = {field: cell for field, cell in zip(fields, cells) if field and cell}
        if len(record) < len(cells) - cells.count(""):
            stray = next(i for i, cell in enumerate(cells) if cell and (i >= len(fields) or not fields[i]))
            raise FileFormatError(
                "column_without_header",
                f"第{row}行{_letters(stray)}列有内容，但该列没有表头。请补上表头或删除该列内容。",
                row,
            )
        yield row, record


def _column(index: int, name: str) -> str:
    return f"{_letters(index)}列“{name}”"


def _letters(index: int) -> str:
    """Excel's column letters (0 → A, 26 → AA), also past Excel's last column for wide CSVs."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _listing(items: list[str], limit: int = 10) -> str:
    """At most `limit` items, so a garbage header does not turn into a megabyte of message."""
    shown = "、".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} 等共{len(items)}项"
