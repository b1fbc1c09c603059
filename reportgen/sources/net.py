"""HTTP for the sources: timeouts, a shared rate budget, retries, and no secrets in errors.

Every request of a service (FRED, the New York Fed, SEC EDGAR) goes through one `Http`,
shared by the fetch threads, so the service's limits hold for the whole process: FRED allows
about two requests a second and 120 a minute per key, and answers bursts with 429 at once;
SEC allows ten a second and wants a User-Agent naming who asks.

- A total deadline on every request: `timeout` bounds the whole exchange (connect,
  headers and body), not each read, so a server that drips one byte a second cannot hold a
  request for minutes; a watchdog shuts the socket down when the time is up.
- A cap on the size of every answer (`max_bytes`): a larger one is refused while it
  arrives, never read into memory whole, and not asked for again.
- Retries with exponential backoff and full jitter on timeouts, dropped connections, 429
  and 5xx, honouring Retry-After; never on other 4xx (an unknown series will not appear by
  asking again).
- A host that cannot be reached at all (no DNS, connection refused) is marked down for the
  rest of the run, so a dead source costs one failure, not one per series.
- Secrets (the API key, and the user name and password of a URL such as
  http://user:secret@mirror/...) are replaced by *** in every URL and message this module
  produces. Userinfo is sent as HTTP basic authentication, never as part of the URL.
"""

from __future__ import annotations

import base64
import contextlib
import email.utils
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
from typing import Any

from reportgen import __version__
from reportgen.errors import (
    RateLimitedError,
    ReportgenError,
    ResponseTooLargeError,
    SourceUnavailableError,
)

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504, 423})
MAX_RETRY_AFTER = 120.0
_KEY_PARAM = re.compile(r"(api_key=)[^&\s'\"]*", re.IGNORECASE)
_USERINFO = re.compile(r"(?<=//)[^/?#@\s'\"]*@")
CHUNK = 64 * 1024
MIN_SECRET = 4  # shorter passwords are only redacted where they stand in a URL


def redact_userinfo(text: str) -> str:
    """'http://user:pw@host/x' -> 'http://***@host/x', anywhere in `text`."""
    return _USERINFO.sub("***@", text)


def url_secrets(*urls: str) -> tuple[str, ...]:
    """The passwords (as written and decoded) of URLs with userinfo, for redaction."""
    found: list[str] = []
    for url in urls:
        with contextlib.suppress(ValueError):
            password = urllib.parse.urlsplit(url).password
            if password:
                found += [password, urllib.parse.unquote(password)]
    return tuple(dict.fromkeys(s for s in found if len(s) >= MIN_SECRET))


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
    timeout: float = 20.0  # seconds for a whole request, answer included
    retries: int = 4
    backoff: float = 1.0
    max_backoff: float = 30.0
    max_bytes: int = 32 * 1024 * 1024


class _Deadline:
    """Shuts down the sockets of one request when its time is up.

    A dup of each socket is kept, so the shutdown reaches the connection even after TLS
    has wrapped (and detached) the original socket object; shutdown acts on the
    connection, so every blocked read returns at once.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._socks: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        try:
            dup = sock.dup()
        except OSError:
            return
        with self._lock:
            self._socks.append(dup)
            if self.expired:
                _shut(dup)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._socks:
                _shut(sock)

    def close(self) -> None:
        self._timer.cancel()
        with self._lock:
            for sock in self._socks:
                sock.close()
            self._socks.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()  # the deadline of the request this thread is making


def _watched_connection(*args: object, **kw: object) -> socket.socket:
    sock = socket.create_connection(*args, **kw)  # type: ignore[arg-type]
    deadline = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)
    return sock


class _HTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._create_connection = _watched_connection


class _HTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self._create_connection = _watched_connection


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPConnection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_HTTPSConnection, req, context=self._context)


_OPENER = urllib.request.build_opener(_HTTPHandler, _HTTPSHandler)


class _TooLarge(Exception):
    pass


class HttpStatusError(Exception):
    """A final, non-retryable HTTP answer; the caller reads the service's error body."""

    def __init__(self, status: int, body: bytes, url: str) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status, self.body, self.url = status, body, url


GZIP_RATIO = 20  # an unpacked answer may be this many times the size cap at most


def _gunzip(headers: Any, body: bytes, cap: int, quiet: bool = False) -> bytes:
    """The body as sent before compression (SEC answers gzip when asked), unpacked only up
    to GZIP_RATIO times the size cap, so a small bomb cannot take the memory."""
    if headers.get("Content-Encoding", "").lower() != "gzip":
        return body
    unpack = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = unpack.decompress(body, cap * GZIP_RATIO)
    except zlib.error:
        if quiet:
            return body
        raise ConnectionError("compressed answer corrupt") from None
    if unpack.unconsumed_tail:
        raise _TooLarge
    if not unpack.eof and not quiet:
        raise ConnectionError("compressed answer cut short")
    return out


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
        text = redact_userinfo(_KEY_PARAM.sub(r"\1***", text))
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

        Raises HttpStatusError for a final 4xx, RateLimitedError when 429 persists,
        ResponseTooLargeError for an answer over the cap and SourceUnavailableError when
        the service cannot be reached or keeps failing.
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
                status, headers, body = self._once(url)
                if status < 400:
                    return body
                if status not in RETRY_STATUS:
                    raise HttpStatusError(status, body, shown)
                last = f"HTTP {status}"
                delay = _retry_after(headers.get("Retry-After"))
                if status == 429:
                    self.budget.hold_off(delay if delay is not None else self.settings.backoff)
            except _TooLarge:
                raise ResponseTooLargeError(
                    f"{self.name}: {what}: the answer is larger than "
                    f"{self.settings.max_bytes / 1048576:g} MB (data.max_response_mb) and was "
                    f"refused ({shown}); raise data.max_response_mb if the source really sends "
                    "that much") from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, socket.gaierror | ConnectionRefusedError):
                    self.down = SourceUnavailableError(
                        f"{self.name}: {_host(shown)} unreachable ({_describe(reason)}); "
                        "check the network or the source's URL")
                    raise type(self.down)(str(self.down)) from None
                last = _describe(reason)
            except TimeoutError:
                last = f"no complete answer within {self.settings.timeout:g} s"
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                last = _describe(exc)
            if attempt < self.settings.retries:
                pause = self._backoff(attempt) if delay is None else delay
                log.info("%s: %s: %s; retry %d of %d in %.1f s", self.name, what,
                         self.redact(last), attempt + 1, self.settings.retries, pause)
                time.sleep(pause)
        tries = self.settings.retries + 1
        message = (f"{self.name}: {what}: {self.redact(last)} after {tries} "
                   f"attempt{'s' if tries > 1 else ''} ({shown})")
        if last == "HTTP 429":
            raise RateLimitedError(message + "; the service's rate limit was hit, try later")
        raise SourceUnavailableError(message)

    def _once(self, url: str) -> tuple[int, Any, bytes]:
        """One exchange within the total deadline: (status, headers, body). Userinfo in
        the URL becomes a basic-authentication header; a gzip answer is unpacked (the size
        cap applies to what was sent)."""
        headers = {"User-Agent": self.user_agent,
                   "Accept-Encoding": "gzip" if self.compressed else "identity"}
        parts = urllib.parse.urlsplit(url)
        if "@" in parts.netloc:
            userinfo, _, host = parts.netloc.rpartition("@")
            user, _, password = userinfo.partition(":")
            pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
            url = urllib.parse.urlunsplit(parts._replace(netloc=host))
        request = urllib.request.Request(url, headers=headers)
        deadline = _Deadline(self.settings.timeout)
        _current.deadline = deadline
        try:
            try:
                with _OPENER.open(request, timeout=self.settings.timeout) as response:
                    body = self._body(response, deadline)
                    return response.status, response.headers, _gunzip(response.headers, body,
                                                                      self.settings.max_bytes)
            except urllib.error.HTTPError as exc:
                with contextlib.closing(exc):
                    body = self._body(exc, deadline, quiet=True)
                    return exc.code, exc.headers, _gunzip(exc.headers, body,
                                                              self.settings.max_bytes, quiet=True)
        except (OSError, http.client.HTTPException):
            if deadline.expired:
                raise TimeoutError from None
            raise
        finally:
            _current.deadline = None
            deadline.close()

    def _body(self, response: Any, deadline: _Deadline, quiet: bool = False) -> bytes:
        """Read the answer in chunks, refusing it as soon as it passes the size cap."""
        cap = self.settings.max_bytes
        length = response.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > cap:
            raise _TooLarge
        chunks, total = [], 0
        read = getattr(response, "read1", None) or response.read
        try:
            while chunk := read(CHUNK):
                total += len(chunk)
                if total > cap:
                    raise _TooLarge
                chunks.append(chunk)
        except (OSError, http.client.HTTPException):
            if not quiet or deadline.expired:
                raise
        if deadline.expired:
            raise TimeoutError
        body = b"".join(chunks)
        missing = getattr(response, "length", None)
        if missing and not quiet:  # the connection closed before Content-Length was reached
            raise http.client.IncompleteRead(body, missing)
        return body

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter (AWS architecture blog's recipe)."""
        cap = min(self.settings.max_backoff, self.settings.backoff * 2 ** attempt)
        return random.uniform(cap / 2, cap)


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
