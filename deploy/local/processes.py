"""The five services as separate OS processes (`python -m services.<name>`), each logging to a file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from deploy.local.infra import REPO_ROOT, InfraError

SERVICES = ("ingest", "matcher", "alerting", "feedback", "analytics")
DEFAULT_PORTS = {"ingest": 8001, "matcher": 8002, "alerting": 8003, "feedback": 8004, "analytics": 8005}


def migrate(names: tuple[str, ...], env: dict[str, str]) -> None:
    """Upgrade every named service's schema, in parallel: each is its own schema and history."""
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", f"services.{name}", "migrate"],
            cwd=REPO_ROOT,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    }
    failures = {name: proc.communicate()[1] for name, proc in running.items()}
    failures = {name: err for name, err in failures.items() if running[name].returncode != 0}
    if failures:
        raise InfraError("\n".join(f"migrating {name} failed:\n{err[-3000:]}" for name, err in failures.items()))


@dataclass
class ServiceProcess:
    name: str
    port: int
    env: dict[str, str] = field(repr=False)  # holds the service's Kafka password
    log_path: Path
    _proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> None:
        env = {**os.environ, **self.env, "BIZPULSE_HTTP_PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                raise InfraError(f"{self.name} exited during start-up; see {self.log_path}:\n{self._tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise InfraError(f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}:\n{self._tail()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no final commit (crash tests)."""
        if self._proc and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()

    def stop(self, timeout: float = 15) -> None:
        if self._proc and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def _tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
