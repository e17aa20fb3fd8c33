"""People's accounts: named persons who log in to the pages, beside the machines' API keys.

A person acts under their own name (`Principal.actor` names them), with the same role and code an
API key has. Passwords are kept only as argon2id hashes (argon2-cffi: the PHC string carries its
salt and cost, so the cost can be raised later and old hashes still verify). Accounts are
configuration, like API keys: a JSON list in BIZPULSE_ACCOUNTS or in the file BIZPULSE_ACCOUNTS_FILE.
`python -m shared.accounts entry …` prints one person's entry, asking for the password.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import re
import sys
from collections.abc import Iterable
from typing import Annotated

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from shared.auth import Person, Principal, Role
from shared.reference import DIVISIONS, TOWNSHIPS

CITY_CODES = frozenset(division[:4] + "00" for division in DIVISIONS)
_DEPARTMENT_CODE = r"^[a-z][a-z0-9_]{0,63}$"
# OWASP's argon2id baseline (19 MiB, 2 passes, 1 lane): ~0.1 s of one core per login on a 2-core
# server, where RFC 9106's 64 MiB × 4 lanes took a second of both; raise it here on bigger machines
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD_CHARS = 10

Username = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.-]{1,31}$")]


class Account(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: Username = Field(description="lower-case latin letters, digits, _ . -; what the person types to log in")
    display_name: str = Field(min_length=1, max_length=32, description="the person's name as shown, e.g. 张三")
    role: Role
    code: str = Field(description="township code, division or city code (supervisor), or department code")
    leads_township: bool = Field(default=False, description="a township's lead (may assign cases); townships only")
    password_hash: str = Field(pattern=r"^\$argon2id\$", description="argon2id PHC string (python -m shared.accounts)")

    @model_validator(mode="after")
    def _code_fits_role(self) -> Account:
        if self.role is Role.TOWNSHIP and self.code not in TOWNSHIPS:
            raise ValueError(f"{self.username}: {self.code!r} is not a known township code")
        if self.role is Role.SUPERVISOR and self.code not in DIVISIONS and self.code not in CITY_CODES:
            raise ValueError(f"{self.username}: {self.code!r} is neither a division nor the city code")
        if self.role is Role.DEPARTMENT and not re.fullmatch(_DEPARTMENT_CODE, self.code):
            raise ValueError(f"{self.username}: {self.code!r} is not a department code")
        if self.leads_township and self.role is not Role.TOWNSHIP:
            raise ValueError(f"{self.username}: only a township's officer can lead a township")
        return self

    def principal(self) -> Principal:
        return Principal(self.role, self.code, Person(self.username, self.display_name, self.leads_township))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


class Accounts:
    """The configured people, looked up by user name. Verifying takes as long for an unknown name as
    for a wrong password (a dummy hash is checked), so timing does not tell which names exist."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self._by_name = {account.username: account for account in accounts}  # unique: settings check it

    def __bool__(self) -> bool:
        return bool(self._by_name)

    @functools.cached_property
    def _dummy_hash(self) -> str:
        return _hasher.hash("no such account, only here to take the time")

    def get(self, username: str) -> Account | None:
        return self._by_name.get(username)

    def verify(self, username: str, password: str) -> Account | None:
        """Blocks for the hash's time (argon2 releases the GIL): call it from a worker thread."""
        account = self._by_name.get(username)
        try:
            _hasher.verify(account.password_hash if account else self._dummy_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return account


def main(argv: list[str] | None = None) -> int:
    """`python -m shared.accounts entry --username … --name … --role … --code … [--leads-township]`:
    asks for the password twice (or reads one line from a pipe) and prints the account's JSON entry,
    to add to the list in BIZPULSE_ACCOUNTS or BIZPULSE_ACCOUNTS_FILE."""
    parser = argparse.ArgumentParser(prog="python -m shared.accounts", description=main.__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    entry = sub.add_parser("entry", help="print one person's account entry")
    entry.add_argument("--username", required=True)
    entry.add_argument("--name", required=True, help="display name, e.g. 张三")
    entry.add_argument("--role", required=True, choices=[r.value for r in Role])
    entry.add_argument("--code", required=True)
    entry.add_argument("--leads-township", action="store_true")
    args = parser.parse_args(argv)
    if sys.stdin.isatty():
        password = getpass.getpass("密码：")
        if getpass.getpass("再次输入密码：") != password:
            print("两次输入的密码不一致", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        account = Account(
            username=args.username, display_name=args.name, role=Role(args.role), code=args.code,
            leads_township=args.leads_township, password_hash=hash_password(password),
        )
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(json.dumps(account.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
