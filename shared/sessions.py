"""Sessions of people logged in to the pages: a signed, expiring cookie, nothing stored server-side.

The cookie is `<payload>.<HMAC-SHA256>` (base64url), the payload naming the person, when the session
ends, a random nonce and a tag of the password hash it was opened with. Every service holding the
same secret and accounts accepts it, so one login serves the feedback and the analytics pages on
the same host (cookies do not depend on the port). Each request looks the person up again: an
account removed, or a password changed, ends its sessions at the next restart with the new
configuration. Logging out clears the cookie in the browser; a copied cookie stays valid until it
expires (the price of keeping no session table), so sessions are a working day long.

CSRF: the cookie is SameSite=Strict, and a state-changing request authenticated by it must also
carry the session's CSRF token (derived from the session, so nothing is stored) in the
`X-CSRF-Token` header (pages' JavaScript: bizpulse-*.js reads it from <meta name="csrf-token">) or,
for a plain form post, in the `csrf_token` field.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # shared.auth reads this module's names: no import back at run time
    from shared.accounts import Account, Accounts
    from shared.auth import Principal

COOKIE = "bizpulse_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    principal: Principal
    expires: int  # unix seconds
    csrf_token: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _password_tag(account: Account) -> str:
    return hashlib.sha256(account.password_hash.encode()).hexdigest()[:16]


class Sessions:
    """Issues and opens session cookies for the configured accounts (none open without a secret)."""

    def __init__(
        self, accounts: Accounts, secret: bytes | None, max_age_seconds: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.accounts = accounts
        self.max_age_seconds = max_age_seconds
        self._secret = secret or b""
        self._clock = clock

    def issue(self, account: Account) -> str:
        payload = {
            "u": account.username,
            "e": int(self._clock()) + self.max_age_seconds,
            "n": secrets.token_urlsafe(12),
            "p": _password_tag(account),
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def open(self, cookie: str) -> Session | None:
        """The session behind a cookie; None if it is malformed, tampered with, expired, or its
        account is gone or has another password now."""
        if not self._secret or cookie.count(".") != 1:
            return None
        body, signature = cookie.split(".")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):  # bytes: a cookie may hold anything
            return None
        try:
            payload = json.loads(_unb64(body))
            username, expires, tag = str(payload["u"]), int(payload["e"]), str(payload["p"])
        except (ValueError, KeyError, TypeError):
            return None  # signed by us, so only an older format could get here
        account = self.accounts.get(username)
        if expires <= self._clock() or account is None or tag != _password_tag(account):
            return None
        return Session(account.principal(), expires, self._sign(f"csrf:{body}"))

    def _sign(self, text: str) -> str:
        return _b64(hmac.new(self._secret, text.encode(), hashlib.sha256).digest())
