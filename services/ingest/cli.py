"""`python -m services.ingest.cli import PATH...`: departments import their exported spreadsheets.

Staff import whole folders over office networks while the platform may be restarting, so each
file is streamed in numbered batches, a batch is re-sent until the server answers it (safe:
rows it already stored come back as duplicates), and errors point at the file's own rows, on
screen and in a CSV that Excel opens.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, TextIO

import httpx
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from services.ingest.domain.spreadsheets import FileFormatError, read_rows
from shared.records.kinds import RecordKind, registry

SPREADSHEETS = (".csv", ".xlsx")
ERRORS_SHOWN = 20
ERRORS_CSV_HEADER = ("文件", "行号", "级别", "字段", "代码", "说明")
ERROR, WARNING = "错误", "警告"  # a warning's row was imported, and is still to be corrected at the source
FIRST_WAIT = 0.5
LONGEST_WAIT = 10.0
# What a restarting or killed server looks like; anything else (a bad URL, say) will not heal by waiting.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)

app = typer.Typer(add_completion=False, no_args_is_help=True)


def kind_of_file(path: Path, kinds: Mapping[str, RecordKind]) -> RecordKind | None:
    """The kind whose name or Chinese title starts the file name.

    The longest label wins, so a kind whose name prefixes another's cannot capture its files.
    """
    stem = path.stem.casefold()
    labelled = [
        (len(label), kind)
        for kind in kinds.values()
        for label in (kind.name, kind.title_zh)
        if stem.startswith(label.casefold())
    ]
    return max(labelled, key=lambda pair: pair[0], default=(0, None))[1]


@dataclass(frozen=True)
class FileError:
    file: str
    row: int | None
    field: str
    code: str
    message: str
    level: str = ERROR


class ErrorLog:
    """Writes every error and warning to the optional CSV as it arrives and keeps only the first
    few for the screen, so a file with a million bad rows does not fill memory."""

    def __init__(self, sink: TextIO | None = None, keep: int = ERRORS_SHOWN) -> None:
        self.first: list[FileError] = []
        self.errors = 0
        self.warnings = 0
        self._keep = keep
        self._writer = csv.writer(sink) if sink else None
        if self._writer:
            self._writer.writerow(ERRORS_CSV_HEADER)

    @property
    def count(self) -> int:
        return self.errors + self.warnings

    def add(self, error: FileError) -> None:
        if error.level == WARNING:
            self.warnings += 1
        else:
            self.errors += 1
        if len(self.first) < self._keep:
            self.first.append(error)
        if self._writer:
            self._writer.writerow((error.file, error.row, error.level, error.field, error.code, error.message))


@dataclass
class FileSummary:
    file: str
    kind: str
    rows: int = 0
    accepted: int = 0
    corrections: int = 0
    duplicates: int = 0
    rejected: int = 0
    seconds: float = 0.0
    failure: str | None = None  # why the file stopped before its end, for people

    @property
    def clean(self) -> bool:
        return self.failure is None and self.rejected == 0


class ImportStopped(Exception):
    """The file cannot go on: the server refused it, or did not come back in time."""

    row = None  # concerns the whole file; handled alongside FileFormatError, which may name a row

    def __init__(self, code: str, message_zh: str) -> None:
        super().__init__(message_zh)
        self.code = code
        self.message_zh = message_zh


def _ignore(_: Any) -> None:
    pass


def import_file(
    client: httpx.Client,
    path: Path,
    kind: RecordKind,
    errors: ErrorLog,
    *,
    batch_rows: int = 2000,
    retry_seconds: float = 300.0,
    on_rows: Callable[[int], None] = _ignore,
    on_wait: Callable[[str], None] = _ignore,
    sleep: Callable[[float], None] = time.sleep,
) -> FileSummary:
    """Stream one file to the API in batches numbered by file row; stop at what concerns the whole file.

    Batches sent before a stop stay imported: the server has stored them, and a re-run reports
    them as duplicates.
    """
    summary = FileSummary(str(path), kind.name)
    started = time.monotonic()
    try:
        with path.open("rb") as stream:
            rows = read_rows(stream, path.name, kind.columns()).rows
            while batch := list(islice(rows, batch_rows)):
                numbers, records = zip(*batch, strict=True)
                body = {"kind": kind.name, "records": list(records), "row_numbers": list(numbers)}
                reply = _post_batch(client, body, retry_seconds, on_wait, sleep)
                summary.rows += len(batch)
                summary.accepted += reply["accepted"]
                summary.corrections += reply["corrections"]
                summary.duplicates += reply["duplicates"]
                summary.rejected += reply["rejected"]
                for level, problems in ((ERROR, reply["errors"]), (WARNING, reply["warnings"])):
                    for e in problems:
                        errors.add(FileError(str(path), e["row"], e["field"], e["code"], e["message"], level))
                on_rows(len(batch))
    except (FileFormatError, ImportStopped) as stop:
        summary.failure = stop.message_zh
        errors.add(FileError(str(path), stop.row, "", stop.code, stop.message_zh))
    except OSError as exc:
        summary.failure = f"无法读取文件：{exc.strerror or exc}"
        errors.add(FileError(str(path), None, "", "file_unreadable", summary.failure))
    summary.seconds = time.monotonic() - started
    return summary


def _post_batch(
    client: httpx.Client,
    body: dict[str, Any],
    retry_seconds: float,
    on_wait: Callable[[str], None],
    sleep: Callable[[float], None],
) -> dict[str, Any]:
    """The server's reply to one batch, re-sent with backoff while the server is down or busy."""
    deadline = time.monotonic() + retry_seconds
    backoff = FIRST_WAIT
    while True:
        try:
            reply = client.post("/v1/records", json=body)
        except _TRANSIENT as exc:
            trouble, wait = f"无法连接服务器（{type(exc).__name__}）", backoff
        else:
            if reply.is_success:
                return reply.json()
            if reply.status_code != 429 and reply.status_code < 500:
                raise ImportStopped(*_refusal(reply))
            trouble = "服务器繁忙" if reply.status_code == 429 else f"服务器暂时不可用（HTTP {reply.status_code}）"
            wait = max(backoff, _retry_after(reply))
        if time.monotonic() + wait > deadline:
            raise ImportStopped("server_unavailable", f"{trouble}，重试 {retry_seconds:g} 秒仍未成功，已停止导入此文件。")
        on_wait(f"{trouble}，{wait:g} 秒后重试…")
        sleep(wait)
        backoff = min(backoff * 2, LONGEST_WAIT)


def _retry_after(reply: httpx.Response) -> float:
    """Retry-After in seconds (the form the ingest API sends); 0 when absent or a date."""
    try:
        return max(0.0, float(reply.headers.get("Retry-After", "0")))
    except ValueError:
        return 0.0


def _refusal(reply: httpx.Response) -> tuple[str, str]:
    """The server's own code and Chinese message, or the status when the body has none."""
    try:
        body = reply.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, dict) and detail.get("message"):
        return str(detail.get("code", f"http_{reply.status_code}")), str(detail["message"])
    return f"http_{reply.status_code}", f"服务器拒绝了请求（HTTP {reply.status_code}）。"


def connect(url: str, key: str, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """A client for the ingest API; `transport` lets tests stand in for the server."""
    return httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=httpx.Timeout(120.0, connect=5.0),
        transport=transport,
    )


def _spreadsheets(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders contribute their spreadsheets, sorted, without Excel's "~$" lock files."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(
                p for p in path.iterdir()
                if p.is_file() and p.suffix.lower() in SPREADSHEETS and not p.name.startswith("~$")
            )
        else:
            files.append(path)
    return files


def _kinds_listing(kinds: Mapping[str, RecordKind]) -> str:
    return "、".join(f"{k.name}（{k.title_zh}）" for k in kinds.values())


class _RowRate(ProgressColumn):
    """Rows sent and rows per second: rich's own columns count bytes or a known total."""

    def render(self, task: Task) -> Text:
        rate = task.completed / task.elapsed if task.elapsed else 0.0
        return Text(f"{task.completed:,.0f} 行  {rate:,.0f} 行/秒")


class _FileProgress:
    """One file's line in the progress display, showing retries while the server is away."""

    def __init__(self, progress: Progress, name: str) -> None:
        self._progress = progress
        self._name = escape(name)
        self._task = progress.add_task(self._name, total=None)

    def rows(self, count: int) -> None:
        self._progress.update(self._task, advance=count, description=self._name)

    def wait(self, message: str) -> None:
        self._progress.update(self._task, description=f"{self._name} [yellow]{escape(message)}")

    def done(self, summary: FileSummary) -> None:
        self._progress.update(self._task, total=summary.rows, completed=summary.rows, description=self._name)
        if summary.failure:
            self._progress.console.print(f"[red]✗ {self._name}：{escape(summary.failure)}")


@app.callback()
def main() -> None:
    """bizpulse 数据导入工具。"""


@app.command("import")
def import_command(
    paths: Annotated[list[Path], typer.Argument(exists=True, help="要导入的文件或文件夹（导入文件夹中所有 .csv、.xlsx）")],
    kind: Annotated[str | None, typer.Option(help="数据类型名称；不指定时按文件名开头判断")] = None,
    url: Annotated[str, typer.Option(help="导入服务地址")] = "http://127.0.0.1:8001",
    key: Annotated[
        str | None, typer.Option(envvar="BIZPULSE_INGEST_KEY", help="本部门的访问密钥", show_default=False)
    ] = None,
    batch_rows: Annotated[int, typer.Option(min=1, help="每次提交的行数")] = 2000,
    retry_seconds: Annotated[float, typer.Option(min=0, help="服务器不可用时每批最多重试的秒数")] = 300.0,
    errors: Annotated[Path | None, typer.Option(dir_okay=False, help="把全部错误写入此 CSV 文件")] = None,
    kind_declarations: Annotated[Path | None, typer.Option(exists=True, help="额外的数据类型声明（文件或文件夹）")] = None,
) -> None:
    """导入部门导出的表格（CSV 或 XLSX），可一次导入整个文件夹。"""
    try:
        kinds = registry(kind_declarations)
    except ValueError as exc:
        raise typer.BadParameter(f"数据类型声明有误：{exc}", param_hint="--kind-declarations") from None
    if kind is not None and kind not in kinds:
        raise typer.BadParameter(f"未知的数据类型“{kind}”。可用的数据类型：{_kinds_listing(kinds)}", param_hint="--kind")
    if not key:
        raise typer.BadParameter("缺少访问密钥：请用 --key 或环境变量 BIZPULSE_INGEST_KEY 提供。", param_hint="--key")
    if not url.startswith(("http://", "https://")):
        raise typer.BadParameter("地址应以 http:// 或 https:// 开头。", param_hint="--url")
    files = _spreadsheets(paths)
    if not files:
        raise typer.BadParameter("没有找到 .csv 或 .xlsx 文件。", param_hint="PATH")

    try:
        sink = errors.open("w", encoding="utf-8-sig", newline="") if errors else nullcontext()
    except OSError as exc:
        raise typer.BadParameter(f"无法写入错误文件：{exc.strerror or exc}", param_hint="--errors") from None

    console = Console()
    summaries: list[FileSummary] = []
    with sink as error_file, connect(url, key) as client, Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), _RowRate(), TimeElapsedColumn(), console=console
    ) as progress:
        log = ErrorLog(error_file)
        for path in files:
            file_kind = kinds[kind] if kind else kind_of_file(path, kinds)
            if file_kind is None:
                message = (
                    "无法从文件名判断数据类型：文件名应以数据类型名称或中文名称开头"
                    "（如 tax_payment_2026-10.csv、月度纳税2026年10月.xlsx），或用 --kind 指定。"
                    f"可用的数据类型：{_kinds_listing(kinds)}"
                )
                summaries.append(FileSummary(str(path), "", failure=message))
                log.add(FileError(str(path), None, "", "kind_unknown", message))
                console.print(f"[red]✗ {escape(str(path))}：{escape(message)}")
                continue
            line = _FileProgress(progress, str(path))
            summary = import_file(
                client, path, file_kind, log,
                batch_rows=batch_rows, retry_seconds=retry_seconds, on_rows=line.rows, on_wait=line.wait,
            )
            line.done(summary)
            summaries.append(summary)

    _print_report(console, summaries, log, errors)
    if not all(s.clean for s in summaries):
        raise typer.Exit(1)


def _print_report(console: Console, summaries: list[FileSummary], log: ErrorLog, errors_csv: Path | None) -> None:
    table = Table(title="导入结果")
    table.add_column("文件", overflow="fold")
    table.add_column("数据类型", overflow="fold")
    for header in ("行数", "新增", "更正", "重复", "拒绝", "用时（秒）"):
        table.add_column(header, justify="right", no_wrap=True)
    for s in summaries:
        numbers = (s.rows, s.accepted, s.corrections, s.duplicates, s.rejected)
        table.add_row(
            Text(s.file), s.kind or "—", *(f"{n:,}" for n in numbers), f"{s.seconds:.1f}",
            style=None if s.clean else "red",
        )
    console.print(table)
    if log.first:
        shown = Table(title=f"错误 {log.errors:,} 条、警告 {log.warnings:,} 条（显示前 {len(log.first)} 条）")
        for header in ERRORS_CSV_HEADER:
            shown.add_column(header, overflow="fold")
        for e in log.first:
            shown.add_row(
                Text(e.file), "" if e.row is None else str(e.row), e.level, e.field, e.code, Text(e.message),
                style="yellow" if e.level == WARNING else None,
            )
        console.print(shown)
    if errors_csv and log.count:
        console.print(f"全部错误与警告已写入 {escape(str(errors_csv))}")
    if all(s.clean for s in summaries):
        console.print("[green]全部导入成功。")
    else:
        console.print("[red]有数据行被拒绝或文件未能导入，请按上面的错误修改后重新导入（已导入的行会被识别为重复，不会重复入库）。")


if __name__ == "__main__":
    app()
