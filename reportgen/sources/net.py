"""HTTP for the sources: timeouts, a shared rate budget, retries, and no secrets in errors.

Every request of a service (FRED, the New York Fed, SEC EDGAR) goes through one `Http`,
shared by the fetch threads, so the service's limits hold for the whole process: FRED allows
about two requests a second and 120 a minute per key, and answers bursts with 429 at once;
SEC allows ten a second and wants a User-Agent naming who asks.

- Timeouts on every request (connect and read).
- Retries with exponential backoff and full jitter on timeouts, dropped connections, 429
  and 5xx, honouring Retry-After; never on other 4xx (an unknown series will not appear by
  asking again).
- A host that cannot be reached at all (no DNS, connection refused) is marked down for the
  rest of the run, so a dead source costs one failure, not one per series.
- Secrets (the API key) are replaced by *** in every URL and message this module produces.
"""

from __future__ import annotations

import email.utils
import gzip
import http.client
import logging
import random
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections import deque
from dataclasses import dataclass

from reportgen import __version__
from reportgen.errors import RateLimitedError, ReportgenError, SourceUnavailableError

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504, 423})
MAX_RETRY_AFTER = 120.0
_KEY_PARAM = re.compile(r"(api_key=)[^&\s'\"]*", re.IGNORECASE)


class RateBudget:
    """At most `per_second` requests in any second and `per_minute` in any minute.

    Thread-safe: a caller reserves the next free slot under the lock and sleeps outside it,
    so threads queue in order without holding each other up.
    """

    def __init__(self, per_second: float, per_minute: int, window: float = 60.0) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.per_minute = per_minute
        self.window = window
        self._lock = threading.Lock()
        self._next = 0.0
        self._sent: deque[float] = deque()

    def acquire(self) -> float:
        """Block until a request may be sent; returns the seconds waited."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            while self._sent and self._sent[0] <= slot - self.window:
                self._sent.popleft()
            if self.per_minute > 0 and len(self._sent) >= self.per_minute:
                slot = max(slot, self._sent[len(self._sent) - self.per_minute] + self.window)
            self._next = slot + self.interval
            self._sent.append(slot)
        wait = slot - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return max(wait, 0.0)

    def hold_off(self, seconds: float) -> None:
        """The service asked us to slow down: nobody sends for `seconds`."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)


@dataclass
class HttpSettings:
    timeout: float = 20.0
    retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0


class HttpStatusError(Exception):
    """A final, non-retryable HTTP answer; the caller reads the service's error body."""

    def __init__(self, status: int, body: bytes, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status, self.body, self.url = status, body, url


class Http:
    """One service's HTTP: its rate budget, retry policy, request count and secrets."""

    def __init__(self, name: str, budget: RateBudget, settings: HttpSettings,
                 secrets: tuple[str, ...] = (), user_agent: str = "",
                 compressed: bool = False) -> None:
        self.name = name
        self.budget = budget
        self.settings = settings
        self.secrets = tuple(s for s in secrets if s)
        self.user_agent = user_agent or f"reportgen/{__version__}"
        self.compressed = compressed  # ask for gzip: SEC's company facts are megabytes of JSON
        self.requests = 0
        self._count_lock = threading.Lock()
        # Set when asking again is pointless (host unreachable, key rejected): every later
        # request fails at once with the same error instead of costing a timeout.
        self.down: ReportgenError | None = None

    def redact(self, text: str) -> str:
        text = _KEY_PARAM.sub(r"\1***", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def url(self, base: str, params: dict[str, str] | None = None) -> str:
        if not params:
            return base
        sep = "&" if "?" in base else "?"
        return base + sep + urllib.parse.urlencode(params, safe=",:")

    def _count(self) -> None:
        with self._count_lock:
            self.requests += 1

    def get(self, url: str, what: str) -> bytes:
        """GET `url` and return the body; `what` names the request in errors (a series id).

        Raises HttpStatusError for a final 4xx, RateLimitedError when 429 persists and
        SourceUnavailableError when the service cannot be reached or keeps failing.
        """
        shown = self.redact(url)
        if self.down is not None:
            raise type(self.down)(str(self.down))
        last = ""
        for attempt in range(self.settings.retries + 1):
            self.budget.acquire()
            self._count()
            delay: float | None = None
            try:
                return self._once(url)
            except urllib.error.HTTPError as exc:
                body = _read_quietly(exc)
                if exc.code not in RETRY_STATUS:
                    raise HttpStatusError(exc.code, body, shown) from None
                last = f"HTTP {exc.code}"
                delay = _retry_after(exc.headers.get("Retry-After"))
                if exc.code == 429:
                    self.budget.hold_off(delay if delay is not None else self.settings.backoff)
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, socket.gaierror | ConnectionRefusedError):
                    self.down = SourceUnavailableError(
                        f"{self.name}: {_host(shown)} unreachable ({_describe(reason)}); "
                        "check the network or the source's URL")
                    raise type(self.down)(str(self.down)) from None
                last = _describe(reason)
            except TimeoutError:
                last = f"no answer within {self.settings.timeout:g} s"
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                last = _describe(exc)
            if attempt < self.settings.retries:
                pause = self._backoff(attempt) if delay is None else delay
                log.info("%s: %s: %s; retry %d of %d in %.1f s", self.name, what,
                         self.redact(last), attempt + 1, self.settings.retries, pause)
                time.sleep(pause)
        message = (f"{self.name}: {what}: {self.redact(last)} after "
                   f"{self.settings.retries + 1} attempts ({shown})")
        if last == "HTTP 429":
            raise RateLimitedError(message + "; the service's rate limit was hit, try later")
        raise SourceUnavailableError(message)

    def _once(self, url: str) -> bytes:
        request = urllib.request.Request(url, headers={
            "User-Agent": self.user_agent,
            "Accept-Encoding": "gzip" if self.compressed else "identity"})
        with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
            body = response.read()  # http.client raises IncompleteRead on a short body
            if response.headers.get("Content-Encoding", "").lower() != "gzip":
                return body
        try:
            return gzip.decompress(body)
        except (OSError, EOFError, zlib.error):
            raise ConnectionError("compressed answer cut short or corrupt") from None

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter (AWS architecture blog's recipe)."""
        cap = min(self.settings.max_backoff, self.settings.backoff * 2 ** attempt)
        return random.uniform(cap / 2, cap)


def _read_quietly(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read()
    except (OSError, http.client.HTTPException):
        return b""


def _retry_after(value: str | None) -> float | None:
    """Retry-After as seconds (a number or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _describe(exc: object) -> str:
    if isinstance(exc, http.client.IncompleteRead):
        return f"answer cut short ({len(exc.partial)} bytes received)"
    if isinstance(exc, socket.gaierror):
        return "host name not found"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError):
        return "connection closed without an answer"
    text = str(exc) or type(exc).__name__
    return text
