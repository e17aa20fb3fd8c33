import csv
import io
import itertools
import tracemalloc
import zipfile
from datetime import date, datetime

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.domain.spreadsheets import FileFormatError, read_rows

COLUMNS = {
    "统一社会信用代码": "uscc",
    "USCC": "uscc",
    "企业名称": "name",
    "用电量（千瓦时）": "kwh",
    "所属期": "period",
}
HEADER = ["统一社会信用代码", "企业名称", "用电量（千瓦时）"]
EXPECTED = [
    (2, {"uscc": "91350100M000100Y43", "name": "揭阳市某某五金有限公司", "kwh": "1234.5"}),
    (3, {"uscc": "91445200MA4UXXXX1B", "name": "榕城区，“老字号”食品厂", "kwh": "0"}),
]


class LazyRaw(io.RawIOBase):
    """A non-seekable upload whose bytes only come into existence as they are read."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._pending = b""
        self.produced = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self._pending:
            self._pending = next(self._chunks, b"")
            self.produced += len(self._pending)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def csv_bytes(rows, encoding="utf-8"):
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def parse(data, filename="data.csv"):
    sheet = read_rows(io.BytesIO(data), filename, COLUMNS)
    return sheet.fields, list(sheet.rows)


def parse_error(data, filename="data.csv"):
    with pytest.raises(FileFormatError) as caught:
        parse(data, filename)
    return caught.value


def table(name):
    return [HEADER, ["91350100M000100Y43", name, "1234.5"], ["91445200MA4UXXXX1B", "榕城区，“老字号”食品厂", "0"]]


# ---------------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "揭阳市某某五金有限公司"),
        ("utf-8-sig", "揭阳市某某五金有限公司"),
        ("gbk", "揭阳市某某五金有限公司"),
        ("gb18030", "揭阳市某某五金有限公司"),
        ("utf-8", "䶮𠀀五金有限公司"),
        ("utf-8-sig", "䶮𠀀五金有限公司"),
        ("gb18030", "䶮𠀀五金有限公司"),
    ],
)
def test_csv_in_utf8_with_or_without_bom_gbk_and_gb18030_parse_alike(encoding, name):
    fields, rows = parse(csv_bytes(table(name), encoding))
    assert fields == ("uscc", "name", "kwh")
    assert rows == [(2, EXPECTED[0][1] | {"name": name}), EXPECTED[1]]


def test_gb18030_only_characters_are_really_outside_gbk():
    with pytest.raises(UnicodeEncodeError):
        "䶮".encode("gbk")


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_character_cut_by_the_sniffing_window_does_not_change_the_guess(encoding):
    prefix = "企业名称\n".encode(encoding)
    filler = b"a" * (64 * 1024 - len(prefix) - 1)  # "榕" straddles the 64 KiB boundary
    data = prefix + filler + "榕城区\n".encode(encoding) + "揭阳\n".encode(encoding)
    assert parse(data)[1] == [(2, {"name": filler.decode() + "榕城区"}), (3, {"name": "揭阳"})]


@pytest.mark.parametrize(
    "header",
    [
        "统一社会信用代码",
        " 统一社会信用代码 ",
        "统一社会 信用代码*",
        "*统一社会信用代码",
        "统一社会信用代码（必填）",
        "统一社会信用代码(必填)",
        "\ufeff统一社会信用代码\u3000",
        "uscc",
        "ＵＳＣＣ＊",
    ],
)
def test_headers_are_matched_forgivingly(header):
    fields, rows = parse(csv_bytes([[header, "用电量 (千瓦时)"], ["X", "1"]]))
    assert fields == ("uscc", "kwh")
    assert rows == [(2, {"uscc": "X", "kwh": "1"})]


def test_unknown_columns_are_refused_naming_them_and_the_accepted_headers():
    error = parse_error(csv_bytes([["统一社会信用代码", "联系人", "备注"], ["X", "张三", ""]]))
    assert error.code == "header_unknown_columns"
    assert error.row == 1
    assert "B列“联系人”" in error.message_zh and "C列“备注”" in error.message_zh
    assert "“企业名称”" in error.message_zh


def test_two_columns_for_one_field_are_refused():
    error = parse_error(csv_bytes([["统一社会信用代码", "企业名称", "USCC"], ["X", "Y", "X"]]))
    assert error.code == "header_duplicate_column"
    assert "C列“USCC”与A列“统一社会信用代码”" in error.message_zh


def test_a_file_without_a_recognisable_header_is_refused():
    error = parse_error(csv_bytes([["91350100M000100Y43", "揭阳市某某五金有限公司"]]))
    assert error.code == "header_missing"
    assert "第1行应为表头" in error.message_zh


@pytest.mark.parametrize("data", [b"", b"\n\n , \n", "\ufeff".encode()])
def test_empty_files_are_refused(data):
    assert parse_error(data).code == "empty_file"


def test_a_value_in_a_column_without_header_is_refused_rather_than_dropped():
    error = parse_error("uscc,,用电量（千瓦时）\nX,,1\nY,lost,2\n".encode())
    assert (error.code, error.row) == ("column_without_header", 3)
    assert "B列" in error.message_zh
    assert parse_error("uscc,用电量（千瓦时）\nX,1,,extra\n".encode()).code == "column_without_header"


def test_quoted_fields_keep_commas_quotes_and_line_breaks_and_count_as_one_row():
    data = '企业名称,用电量（千瓦时）\n"榕城区，一厂, ""老字号""\n二车间",1\r\n揭阳,2\n'.encode()
    assert parse(data)[1] == [(2, {"name": '榕城区，一厂, "老字号"\n二车间', "kwh": "1"}), (3, {"name": "揭阳", "kwh": "2"})]


def test_blank_rows_are_skipped_cells_stripped_and_rows_numbered_as_in_the_file():
    data = "\n企业名称,用电量（千瓦时）\n 甲 ,\n\n,\n \u3000, \n乙,3\n".encode()
    assert parse(data)[1] == [(3, {"name": "甲"}), (7, {"name": "乙", "kwh": "3"})]


def test_bytes_undecodable_in_the_sniffed_encoding_are_reported_with_their_row():
    rows = [["企业名称"]] + [["揭阳"]] * 20_000
    data = csv_bytes(rows) + "榕城区\n".encode("gbk")
    error = parse_error(data)
    assert (error.code, error.row) == ("encoding_unknown", 20_002)


def test_binary_content_in_a_csv_is_refused():
    assert parse_error(b"\xff\xfe\x00\x01\x80\x81").code == "encoding_unknown"
    error = parse_error(b"uscc\nX\nA\x00B\n")
    assert (error.code, error.row) == ("not_a_spreadsheet", 3)


@pytest.mark.parametrize(
    "data",
    [
        b"uscc\n" + b"9" * (1024 * 1024 + 1) + b"\n",  # one huge field
        b"uscc\n" + b"9" * (2 * 1024 * 1024),  # no newline at all
        b'uscc\n"unclosed\n' + b"x,y\n" * 300_000,  # an open quote swallows the rest
    ],
)
def test_absurdly_long_rows_are_refused(data):
    error = parse_error(data)
    assert (error.code, error.row) == ("row_too_long", 2)


def test_a_large_csv_is_streamed_in_flat_memory():
    def row(i):
        return f"91350100M{i:09d},揭阳市某某五金有限公司第{i}分公司,{i}.5\n"

    chunks = ("".join(map(row, range(start, start + 1000))).encode() for start in range(0, 200_000, 1000))
    raw = LazyRaw(itertools.chain([",".join(HEADER).encode() + b"\n"], chunks))
    tracemalloc.start()
    try:
        sheet = read_rows(io.BufferedReader(raw), "big.csv", COLUMNS)
        last = None
        for last in sheet.rows:
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert last == (200_001, {"uscc": "91350100M000199999", "name": "揭阳市某某五金有限公司第199999分公司", "kwh": "199999.5"})
    assert raw.produced > 15 * 2**20  # the file is several times larger than the bound below
    assert peak < 4 * 2**20


# --------------------------------------------------------------------------------------- XLSX


def xlsx_bytes(rows):
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


XLSX_ROWS = [
    ["统一社会信用代码*", "企业名称", "用电量（千瓦时）", "所属期"],
    ["913501001234567890", " 揭阳市某某五金有限公司 ", 1234.5, date(2026, 10, 1)],
    [],
    ["0300123456", None, 1234, datetime(2026, 10, 1, 8, 30)],
    [None, None, None, None],
    ["X", "Y", 0.1 + 0.2, datetime(2026, 10, 1)],
    ["Z", None, 7.0, None],
]
XLSX_EXPECTED = [
    (2, {"uscc": "913501001234567890", "name": "揭阳市某某五金有限公司", "kwh": "1234.5", "period": "2026-10-01"}),
    (4, {"uscc": "0300123456", "kwh": "1234", "period": "2026-10-01 08:30:00"}),
    (6, {"uscc": "X", "name": "Y", "kwh": "0.3", "period": "2026-10-01"}),
    (7, {"uscc": "Z", "kwh": "7"}),
]


def test_xlsx_cells_become_the_text_excel_shows():
    fields, rows = parse(xlsx_bytes(XLSX_ROWS), "用电.XLSX")
    assert fields == ("uscc", "name", "kwh", "period")
    assert rows == XLSX_EXPECTED


def test_a_non_seekable_xlsx_upload_is_spooled():
    data = xlsx_bytes(XLSX_ROWS)
    stream = io.BufferedReader(LazyRaw(data[i : i + 4096] for i in range(0, len(data), 4096)))
    assert list(read_rows(stream, "用电.xlsx", COLUMNS).rows) == XLSX_EXPECTED


def test_xlsx_rows_past_a_stale_dimension_are_still_read():
    data = xlsx_bytes([["企业名称"], ["甲"], ["乙"], ["丙"]])
    stale = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(stale, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                content = content.replace(b"<sheetData>", b'<dimension ref="A1:A2"/><sheetData>', 1)
            target.writestr(item, content)
    assert [row for row, _ in parse(stale.getvalue(), "x.xlsx")[1]] == [2, 3, 4]


def test_xlsx_header_errors_are_the_same_as_for_csv():
    assert parse_error(xlsx_bytes([["企业名称", "联系人"]]), "x.xlsx").code == "header_unknown_columns"
    assert parse_error(xlsx_bytes([]), "x.xlsx").code == "empty_file"


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "用电.xls", "unsupported_file_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "用电.xlsx", "unsupported_file_type"),
        (b"uscc\nX\n", "用电.xls", "unsupported_file_type"),
        (b"uscc\nX\n", "用电.txt", "unsupported_file_type"),
        (b"uscc\nX\n", "用电", "unsupported_file_type"),
        (b"uscc\nX\n", "用电.xlsx", "not_a_spreadsheet"),
        (b"<html><table></table></html>", "用电.xlsx", "not_a_spreadsheet"),
        (b"", "用电.xlsx", "empty_file"),
        (None, "用电.csv", "not_a_spreadsheet"),
        (b"PK\x03\x04" + b"\x00" * 100, "用电.xlsx", "xlsx_corrupt"),
    ],
)
def test_files_that_are_not_csv_or_xlsx_are_refused(data, filename, code):
    error = parse_error(xlsx_bytes(XLSX_ROWS) if data is None else data, filename)
    assert error.code == code
    assert error.message_zh


def test_old_excel_files_are_asked_to_be_saved_again():
    assert "另存为" in parse_error(b"\xd0\xcf\x11\xe0", "用电.xls").message_zh


# ------------------------------------------------------------------------------------ properties

_VALID_XLSX = xlsx_bytes(XLSX_ROWS)
_mutated_xlsx = st.tuples(st.integers(0, len(_VALID_XLSX) - 1), st.binary(min_size=1, max_size=8)).map(
    lambda change: _VALID_XLSX[: change[0]] + change[1] + _VALID_XLSX[change[0] + len(change[1]) :]
)


def consume(data, filename):
    try:
        sheet = read_rows(io.BytesIO(data), filename, COLUMNS)
        for _ in sheet.rows:
            pass
    except FileFormatError as error:
        assert error.code and error.message_zh


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048) | st.binary(max_size=512).map(lambda b: "企业名称,uscc\n".encode() + b))
def test_any_bytes_named_csv_fail_only_with_file_format_error(data):
    consume(data, "x.csv")


@settings(max_examples=150, deadline=None)
@given(
    st.binary(max_size=1024)
    | st.binary(max_size=1024).map(lambda b: b"PK\x03\x04" + b)
    | _mutated_xlsx
    | st.integers(0, len(_VALID_XLSX)).map(lambda n: _VALID_XLSX[:n])
)
def test_any_bytes_named_xlsx_fail_only_with_file_format_error(data):
    consume(data, "x.xlsx")


_cell = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_cell, _cell), max_size=15), st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_any_text_table_written_as_csv_round_trips(cells, encoding):
    data = csv_bytes([("企业名称", "所属期"), *cells], encoding)  # GB18030 encodes all of Unicode
    expected = [
        (number, {field: cell.strip() for field, cell in zip(("name", "period"), row) if cell.strip()})
        for number, row in enumerate(cells, start=2)
        if any(cell.strip() for cell in row)
    ]
    assert parse(data)[1] == expected
