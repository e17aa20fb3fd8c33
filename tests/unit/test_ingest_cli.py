import csv
import functools
import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from services.ingest import cli
from shared.records.kinds import registry

KINDS = registry()
TAX_PAYMENT = KINDS["tax_payment"]
HEADER = "纳税人识别号,所属期,实缴税额（元）,乡镇（街道）代码\r\n"


def tax_csv(folder: Path, name: str, *rows: str) -> Path:
    path = folder / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


class FakeIngest:
    """Answers POST /v1/records like the ingest API; `script` replies first, one per request."""

    def __init__(self, *script, reject_rows=(), warn_rows=()):
        self.script = list(script)
        self.reject_rows = set(reject_rows)
        self.warn_rows = set(warn_rows)
        self.bodies = []
        self.headers = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        self.headers.append(request.headers)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            return step
        body = self.bodies[-1]
        rejected = [n for n in body["row_numbers"] if n in self.reject_rows]
        return httpx.Response(200, json={
            "kind": body["kind"], "received": len(body["records"]),
            "accepted": len(body["records"]) - len(rejected), "corrections": 0, "duplicates": 0,
            "rejected": len(rejected),
            "errors": [{"row": n, "field": "amount", "code": "decimal_parsing", "message": "应为数字"} for n in rejected],
            "warnings": [{"row": n, "field": "uscc", "code": "uscc_check_character_kept", "message": "校验位错误，已接收"}
                         for n in body["row_numbers"] if n in self.warn_rows],
        })

    def client(self) -> httpx.Client:
        return cli.connect("http://ingest.test", "dept-key", transport=httpx.MockTransport(self))


@pytest.mark.parametrize(("name", "kind"), [
    ("tax_payment_2026-10.csv", "tax_payment"),
    ("Tax_Payment-2026.xlsx", "tax_payment"),
    ("tax_registration.csv", "tax_registration"),
    ("月度纳税2026年10月.xlsx", "tax_payment"),
    ("月度用电_10月.csv", "power_usage"),
    ("商事主体登记.csv", "registration"),
    ("2026年10月月度纳税.csv", None),
    ("payments.csv", None),
])
def test_kind_of_file_from_name_or_chinese_title(name, kind):
    found = cli.kind_of_file(Path("导出") / name, KINDS)
    assert (found.name if found else None) == kind


def test_batches_carry_the_file_row_numbers_across_blank_lines(tmp_path):
    path = tax_csv(
        tmp_path, "tax_payment.csv",
        "T1,2026-10,1.00,445202001\r\n",
        "\r\n",
        ",,,\r\n",
        "T2,2026-10,2.00,445202001\r\n",
        "T3,2026-10,3.00,445202001\r\n",
    )
    server = FakeIngest(reject_rows={6})
    log = cli.ErrorLog()
    sent = []
    with server.client() as client:
        summary = cli.import_file(client, path, TAX_PAYMENT, log, batch_rows=2, on_rows=sent.append)

    assert [b["row_numbers"] for b in server.bodies] == [[2, 5], [6]]
    assert [r["taxpayer_id"] for b in server.bodies for r in b["records"]] == ["T1", "T2", "T3"]
    assert {b["kind"] for b in server.bodies} == {"tax_payment"}
    assert server.headers[0]["Authorization"] == "Bearer dept-key"
    assert sent == [2, 1]
    assert (summary.rows, summary.accepted, summary.rejected, summary.failure) == (3, 2, 1, None)
    assert not summary.clean
    assert log.first == [cli.FileError(str(path), 6, "amount", "decimal_parsing", "应为数字")]


def test_the_same_batch_is_retried_after_connection_error_503_and_429(tmp_path):
    path = tax_csv(tmp_path, "tax_payment.csv", "T1,2026-10,1.00,445202001\r\n", "T2,2026-10,2.00,445202001\r\n")
    server = FakeIngest(
        httpx.ConnectError("connection refused"),
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "3"}, json={"detail": {"code": "rate_limited", "message": "提交过于频繁"}}),
        httpx.RemoteProtocolError("server disconnected"),
    )
    waits, notices = [], []
    with server.client() as client:
        summary = cli.import_file(
            client, path, TAX_PAYMENT, cli.ErrorLog(), batch_rows=10, on_wait=notices.append, sleep=waits.append
        )

    assert waits == [0.5, 1.0, 3.0, 4.0]
    assert len(server.bodies) == 5 and all(b == server.bodies[0] for b in server.bodies)
    assert "HTTP 503" in notices[1] and "服务器繁忙" in notices[2]
    assert (summary.rows, summary.accepted, summary.failure) == (2, 2, None)


def test_backoff_is_capped_and_gives_up_after_retry_seconds(tmp_path, monkeypatch):
    path = tax_csv(tmp_path, "tax_payment.csv", "T1,2026-10,1.00,445202001\r\n")
    clock = [0.0]
    monkeypatch.setattr(cli.time, "monotonic", lambda: clock[0])
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        clock[0] += seconds

    server = FakeIngest(*[httpx.Response(502)] * 20)
    log = cli.ErrorLog()
    with server.client() as client:
        summary = cli.import_file(client, path, TAX_PAYMENT, log, retry_seconds=30, sleep=sleep)

    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert summary.rows == 0 and "HTTP 502" in summary.failure and "30 秒" in summary.failure
    assert log.first[0].code == "server_unavailable"


def test_a_refusal_stops_the_file_with_the_servers_message(tmp_path):
    path = tax_csv(tmp_path, "tax_payment.csv", "T1,2026-10,1.00,445202001\r\n", "T2,2026-10,2.00,445202001\r\n")
    message = "本部门无权报送“月度纳税”数据（由 tax 报送）"
    server = FakeIngest(httpx.Response(403, json={"detail": {"code": "kind_not_allowed", "message": message}}))
    log = cli.ErrorLog()
    with server.client() as client:
        summary = cli.import_file(client, path, TAX_PAYMENT, log, batch_rows=1, sleep=pytest.fail)

    assert len(server.bodies) == 1
    assert summary.failure == message and summary.rows == 0
    assert log.first == [cli.FileError(str(path), None, "", "kind_not_allowed", message)]


def test_a_bad_row_in_the_file_stops_it_after_the_rows_before(tmp_path):
    path = tax_csv(tmp_path, "tax_payment.csv", "T1,2026-10,1.00,445202001\r\n", "T2,2026-10,2.00,445202001,extra\r\n")
    log = cli.ErrorLog()
    with FakeIngest().client() as client:
        summary = cli.import_file(client, path, TAX_PAYMENT, log, batch_rows=1)

    assert summary.rows == 1 and summary.accepted == 1
    assert (log.first[0].row, log.first[0].code) == (3, "column_without_header")
    assert summary.failure == log.first[0].message


def test_cli_imports_a_folder_writes_errors_with_bom_and_exits_1(tmp_path, monkeypatch):
    folder = tmp_path / "导出"
    folder.mkdir()
    tax_csv(folder, "tax_payment_2026-10.csv", "T1,2026-10,1.00,445202001\r\n", "T2,2026-10,x,445202001\r\n")
    tax_csv(folder, "月度纳税2026年11月.csv", "T1,2026-11,1.00,445202001\r\n")
    tax_csv(folder, "payments.csv", "T1,2026-11,1.00,445202001\r\n")
    (folder / "~$月度纳税2026年11月.xlsx").write_bytes(b"Excel lock file")
    (folder / "说明.txt").write_text("not a spreadsheet")
    server = FakeIngest(reject_rows={3})
    monkeypatch.setattr(cli, "connect", functools.partial(cli.connect, transport=httpx.MockTransport(server)))
    errors_csv = tmp_path / "errors.csv"

    result = CliRunner().invoke(
        cli.app, ["import", str(folder), "--errors", str(errors_csv), "--batch-rows", "1"],
        env={"BIZPULSE_INGEST_KEY": "dept-key", "COLUMNS": "300"},
    )

    assert result.exit_code == 1, result.output
    assert [b["row_numbers"] for b in server.bodies] == [[2], [3], [2]]
    assert {h["Authorization"] for h in server.headers} == {"Bearer dept-key"}
    assert "无法从文件名判断数据类型" in result.output and "tax_payment（月度纳税）" in result.output
    assert "导入结果" in result.output
    data = errors_csv.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["文件", "行号", "级别", "字段", "代码", "说明"]
    assert rows[1][0].endswith("payments.csv") and rows[1][2:5] == ["错误", "", "kind_unknown"]
    assert rows[2][0].endswith("tax_payment_2026-10.csv") and rows[2][1:5] == ["3", "错误", "amount", "decimal_parsing"]
    assert len(rows) == 3


def test_cli_exits_0_when_everything_is_accepted(tmp_path, monkeypatch):
    path = tax_csv(tmp_path, "anything.csv", "T1,2026-10,1.00,445202001\r\n")
    server = FakeIngest()
    monkeypatch.setattr(cli, "connect", functools.partial(cli.connect, transport=httpx.MockTransport(server)))

    result = CliRunner().invoke(cli.app, ["import", str(path), "--kind", "tax_payment", "--key", "k"])

    assert result.exit_code == 0, result.output
    assert server.bodies[0]["kind"] == "tax_payment"


@pytest.mark.parametrize("arguments", [
    ["--kind", "no_such_kind", "--key", "k"],
    ["--url", "127.0.0.1:8001", "--key", "k"],
    [],
])
def test_cli_usage_errors_exit_2(tmp_path, arguments):
    path = tax_csv(tmp_path, "tax_payment.csv", "T1,2026-10,1.00,445202001\r\n")
    result = CliRunner().invoke(cli.app, ["import", str(path), *arguments], env={"BIZPULSE_INGEST_KEY": ""})
    assert result.exit_code == 2


def test_rows_accepted_with_a_warning_are_listed_for_correction_without_failing_the_import(tmp_path):
    path = tax_csv(tmp_path, "tax_payment_2026-10.csv", "T1,2026-10,1.00,445202001\r\n", "T2,2026-10,2.00,445202001\r\n")
    log = cli.ErrorLog()
    summary = cli.import_file(FakeIngest(warn_rows={3}).client(), path, KINDS["tax_payment"], log)
    assert (summary.accepted, summary.rejected, summary.clean) == (2, 0, True)
    assert [(e.row, e.field, e.code, e.level) for e in log.first] == [(3, "uscc", "uscc_check_character_kept", "警告")]
    assert (log.errors, log.warnings) == (0, 1)  # a warning is not counted as an error


def test_the_report_counts_warnings_apart_from_errors(tmp_path, monkeypatch):
    path = tax_csv(tmp_path, "tax_payment_2026-10.csv", "T1,2026-10,1.00,445202001\r\n", "T2,2026-10,2.00,445202001\r\n")
    server = FakeIngest(warn_rows={3})
    monkeypatch.setattr(cli, "connect", functools.partial(cli.connect, transport=httpx.MockTransport(server)))
    errors_csv = tmp_path / "errors.csv"

    result = CliRunner().invoke(cli.app, ["import", str(path), "--errors", str(errors_csv)],
                                env={"BIZPULSE_INGEST_KEY": "dept-key", "COLUMNS": "300"})

    assert result.exit_code == 0, result.output  # every row is in
    assert "错误 0 条、警告 1 条" in result.output
    rows = list(csv.reader(errors_csv.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[1][1:5] == ["3", "警告", "uscc", "uscc_check_character_kept"]
