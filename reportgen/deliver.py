"""Deliver: e-mail a published issue, one message per language, its PDF attached.

The body (headline stance, the five loops, what changed, a link to the web edition) is
built from the issue's signals.json, so the e-mail says what the report says. Recipients
go in Bcc, in batches of at most email.batch_size (fewer when the server says "452 4.5.3
too many recipients"); a ledger (sent.json beside the issue) records who got which
language, so a retry after a failure sends only to those who have not had it. An address
refused for good (5xx) is reported and left out; one the server defers (4xx) is retried
with backoff and, if still deferred, recorded as pending for the next `send`.

The issue is checked against the manifest in its signals.json first, and the PDF attached
is the one that was checked: a folder whose files are not one build's is refused.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import logging
import os
import re
import smtplib
import socket
import ssl
import time
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from reportgen.config import Config
from reportgen.errors import ConfigError, PublishError, SourceUnavailableError
from reportgen.layout import Issue
from reportgen.narrative import LOOP_STATUS, STANCE_LABELS, state_word
from reportgen.publish import verify, write_json
from reportgen.render import environment, render_html

log = logging.getLogger(__name__)
PENDING = "pending"  # the ledger's record of deferred addresses: {lang: {address: reason}}
MAX_BACKOFF = 900.0
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
ENV = "REPORTGEN_SMTP_"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    security: str
    user: str
    password: str
    timeout: int


@dataclass
class Report:
    sent: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)   # already had it
    refused: dict[str, str] = field(default_factory=dict)         # address -> reason
    pending: dict[str, str] = field(default_factory=dict)         # deferred (4xx) -> reason


def smtp_settings(config: Config) -> Smtp:
    """Config values, overridden by REPORTGEN_SMTP_* (the password only from there)."""
    e = config.email
    port = os.environ.get(f"{ENV}PORT", str(e.smtp_port))
    security = os.environ.get(f"{ENV}SECURITY", e.smtp_security)
    if not port.isdigit():
        raise ConfigError(f"{ENV}PORT: expected a port number, got {port!r}")
    if security not in ("none", "starttls", "ssl"):
        raise ConfigError(f"{ENV}SECURITY: {security!r}; use none, starttls or ssl")
    return Smtp(os.environ.get(f"{ENV}HOST", e.smtp_host), int(port), security,
                os.environ.get(f"{ENV}USER", e.smtp_user),
                os.environ.get(f"{ENV}PASSWORD", ""), e.timeout)


def recipients(config: Config, languages: list[str]) -> tuple[dict[str, list[str]], dict]:
    """Valid addresses per language from the config and the CSV, and the invalid ones."""
    wanted: dict[str, list[str]] = {lang: list(config.email.recipients.get(lang, []))
                                    for lang in languages}
    if config.email.recipients_csv:
        path = config.path(config.email.recipients_csv)
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    if {"email", "lang"} - set(row):
                        raise ConfigError(f"{path}: needs the columns email,lang")
                    if row["lang"] in wanted:
                        wanted[row["lang"]].append(row["email"].strip())
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read recipients ({exc.strerror})") from None
    good: dict[str, list[str]] = {}
    bad: dict[str, str] = {}
    for lang, addresses in wanted.items():
        for address in dict.fromkeys(addresses):
            if ADDRESS.match(parseaddr(address)[1]) and parseaddr(address)[1] == address:
                good.setdefault(lang, []).append(address)
            else:
                bad[address] = "not a valid e-mail address"
    return good, bad


def _loops(signals: dict[str, Any], t: Any, titles: dict[str, str]) -> list[dict[str, str]]:
    return [{"name": t.gettext(name),
             "status": t.gettext(LOOP_STATUS.get(signals.get(f"loop_{lid}", {}).get("state"),
                                                 "–"))}
            for lid, name in titles.items()]


def compose(config: Config, issue: Path, payload: dict[str, Any], lang: str,
            to: list[str], pdf_bytes: bytes | None = None) -> EmailMessage:
    """One language's message: text and HTML alternatives, the PDF attached (the bytes
    given, which send() has checked against the manifest, or else the file's)."""
    from reportgen.pipeline import load_content

    content = load_content(config, [lang])
    locale = content.locales[lang]
    t, fmt = locale.translations, locale.fmt
    meta = content.registry.signals
    date = dt.date.fromisoformat(payload["issue_date"])
    signals = payload["signals"]
    stance = t.gettext(STANCE_LABELS.get(signals["macro_stance"]["state"], "–"))
    flips = [t.gettext("%(title)s: from %(before)s to %(after)s") % {
        "title": t.gettext(meta[f["id"]].title) if f["id"] in meta else f["id"],
        "before": state_word(t, f["before"]), "after": state_word(t, f["after"])}
        for f in payload.get("changes", {}).get("flips", [])]
    title = t.gettext(config.report.title)
    subject = t.gettext("%(title)s, %(date)s: %(stance)s") % {
        "title": title, "date": fmt.date(date), "stance": stance}
    if payload.get("sample"):
        subject = t.gettext("[SAMPLE DATA] %(subject)s") % {"subject": subject}
    web = (f"{config.email.web_url.rstrip('/')}/{date:%Y/%m/%d}/{lang}/"
           if config.email.web_url else "")
    ctx = {"lang": lang, "subject": subject, "title": title, "stance": stance,
           "issue_date_text": fmt.date(date), "flips": flips,
           "loops": _loops(signals, t, content.loop_titles),
           "web_url": web, "sample": payload.get("sample", False)}
    html = render_html(locale.env, "email.html.j2", ctx)
    text = render_html(environment(config.content, t, locale.separator, autoescape=False),
                       "email.txt.j2", ctx)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config.email.sender
    msg["To"] = config.email.sender  # recipients go in Bcc: no one sees the list
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=parseaddr(config.email.sender)[1].split("@")[-1])
    if config.email.list_unsubscribe:
        msg["List-Unsubscribe"] = f"<{config.email.list_unsubscribe}>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    pdf = Issue(issue.parent, date).pdf(lang)
    msg.add_attachment(pdf.read_bytes() if pdf_bytes is None else pdf_bytes,
                       maintype="application", subtype="pdf", filename=pdf.name)
    msg["Content-Language"] = lang  # after the parts: making multipart moves Content-* down
    return msg


def connect(s: Smtp) -> smtplib.SMTP:
    try:
        if s.security == "ssl":
            server = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                server.starttls(context=ssl.create_default_context())
        if s.user:
            server.login(s.user, s.password)
        return server
    except (OSError, smtplib.SMTPException) as exc:
        raise SourceUnavailableError(
            f"SMTP server {s.host}:{s.port}: {_why(exc)}; nothing was sent") from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError) or "timed out" in str(exc):
        return "no answer within the timeout"  # smtplib wraps read timeouts as disconnects
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "the server closed the connection"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "login refused (check REPORTGEN_SMTP_USER / REPORTGEN_SMTP_PASSWORD)"
    return str(exc) or type(exc).__name__


def send(config: Config, issue_date: dt.date, languages: list[str],
         to: list[str] | None = None, force: bool = False) -> Report:
    """E-mail the issue of `issue_date` in each language to whoever has not had it."""
    layout = Issue(config.output_dir, issue_date)
    issue = layout.folder
    pdf_names = {lang: layout.pdf_name(lang) for lang in languages}
    try:
        payload, pdfs = verify(issue, set(pdf_names.values()))
    except FileNotFoundError:
        raise PublishError(f"{issue}: no published issue for {issue_date}; run "
                           f"`reportgen run --date {issue_date}` first") from None
    if payload.get("sample") and not force:
        raise PublishError(f"issue {issue_date} was built on sample data, not real "
                           "observations; not sending it (pass --force to send anyway)")
    if to:
        good, bad = recipients(replace_recipients(config, to, languages), languages)
    else:
        good, bad = recipients(config, languages)
    ledger_path = layout.ledger
    ledger = _read_ledger(ledger_path)
    report = Report(refused=dict(bad))
    todo = {}
    for lang, addresses in good.items():
        if pdf_names[lang] not in pdfs:
            raise PublishError(f"{issue}: no {lang} PDF in this issue; rebuild it with "
                               f"`reportgen run --date {issue_date} --lang {lang}`")
        done = set(ledger.get(lang, []))
        report.skipped[lang] = [a for a in addresses if a in done]
        todo[lang] = [a for a in addresses if a not in done]
    if not any(todo.values()):
        return report
    _check_writable(ledger_path)
    messages = {lang: compose(config, issue, payload, lang, addresses, pdfs[pdf_names[lang]])
                for lang, addresses in todo.items() if addresses}
    e = config.email
    size = e.batch_size
    deferred: dict[str, dict[str, str]] = {}
    for attempt in range(e.retries + 1):
        if attempt:
            wait = min(e.retry_backoff * 2 ** (attempt - 1), MAX_BACKOFF)
            log.info("%d address(es) deferred by the server; retrying in %.0f s",
                     sum(map(len, deferred.values())), wait)
            time.sleep(wait)
        deferred = {}
        server = connect(smtp_settings(config))
        try:
            for lang, msg in messages.items():
                if not todo.get(lang):
                    continue
                later, size = _send_batches(server, msg, todo[lang], size, report, lang,
                                            ledger, ledger_path)
                if later:
                    deferred[lang] = later
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                server.quit()
        todo = {lang: list(later) for lang, later in deferred.items()}
        if not todo:
            break
    for later in deferred.values():
        report.pending.update(later)
    return report


def _send_batches(server: smtplib.SMTP, msg: EmailMessage, addresses: list[str], size: int,
                  report: Report, lang: str, ledger: dict, ledger_path: Path
                  ) -> tuple[dict[str, str], int]:
    """Send one language's message to `addresses`, at most `size` per transaction, and
    record each batch at once. Returns the deferred addresses (with the server's reason)
    and the batch size to go on with."""
    queue = list(addresses)
    deferred: dict[str, str] = {}
    sent = report.sent.setdefault(lang, [])
    while queue:
        batch, queue = queue[:size], queue[size:]
        answers = _transaction(server, msg, batch, lang)
        over = [a for a in batch if a in answers and _too_many(*answers[a])]
        if over and len(over) < len(batch):
            size = max(1, batch.index(over[0]))  # the server's own limit: follow it
            log.info("the SMTP server takes %d recipients per message; sending in batches "
                     "of %d", size, size)
            queue = over + queue
            batch = [a for a in batch if a not in over]
        delivered = [a for a in batch if a not in answers]
        for address in batch:
            if address in answers:
                code, reason = answers[address]
                text = f"{code} {_text(reason)}"
                if 400 <= code < 500:
                    deferred[address] = text
                else:
                    report.refused[address] = text
        sent.extend(delivered)
        ledger[lang] = sorted(set(ledger.get(lang, [])) | set(delivered))
        waiting = ledger.setdefault(PENDING, {}).setdefault(lang, {})
        for address in batch:
            waiting.pop(address, None)
        waiting.update(deferred)
        _write_ledger(ledger_path, ledger)
    return deferred, size


def _too_many(code: int, reason: bytes | str) -> bool:
    """RFC 5321's "452 too many recipients" (enhanced code 4.5.3): a limit of the
    transaction, not of the address; the address goes in the next batch at once."""
    text = _text(reason)
    return code == 452 and ("4.5.3" in text or "too many recipients" in text.lower())


def _text(reason: bytes | str) -> str:
    return reason.decode(errors="replace") if isinstance(reason, bytes) else reason


def _transaction(server: smtplib.SMTP, msg: EmailMessage, batch: list[str], lang: str
                 ) -> dict[str, tuple[int, bytes]]:
    """Send one message to one batch; the answers for the addresses not accepted."""
    try:
        return server.send_message(msg, to_addrs=batch)
    except smtplib.SMTPRecipientsRefused as exc:
        return exc.recipients
    except smtplib.SMTPSenderRefused as exc:
        if 400 <= exc.smtp_code < 500:
            return {a: (exc.smtp_code, exc.smtp_error) for a in batch}
        raise ConfigError(f"email.sender: the SMTP server refused {exc.sender} "
                          f"({exc.smtp_code} {_text(exc.smtp_error)}); "
                          "use an address it accepts") from None
    except smtplib.SMTPDataError as exc:  # the message as a whole: for every address
        return {a: (exc.smtp_code, exc.smtp_error) for a in batch}
    except (OSError, smtplib.SMTPException) as exc:
        raise SourceUnavailableError(
            f"SMTP server: {_why(exc)} while sending the {lang} issue; "
            "already-sent addresses are recorded, rerun to send the rest") from None


def _read_ledger(path: Path) -> dict[str, Any]:
    try:
        ledger = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise PublishError(f"{path}: unreadable ({exc}); fix or remove it (everyone it "
                           "lists would get the issue again)") from None
    if not isinstance(ledger, dict):
        raise PublishError(f"{path}: not a ledger of deliveries; fix or remove it")
    return ledger


def _write_ledger(path: Path, ledger: dict[str, Any]) -> None:
    waiting = {lang: found for lang, found in ledger.pop(PENDING, {}).items() if found}
    if waiting:
        ledger[PENDING] = waiting
    try:
        write_json(path, ledger)
    except OSError as exc:
        raise PublishError(f"{path}: cannot record deliveries ({exc.strerror}); fix the "
                           "folder's permissions and rerun `send`") from None


def _check_writable(path: Path) -> None:
    """Fail before any mail leaves if the ledger could not record who got it."""
    probe = path.with_suffix(path.suffix + ".tmp")
    try:
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise PublishError(f"{path}: cannot record deliveries ({exc.strerror}); nothing was "
                           "sent; fix the folder's permissions") from None


def replace_recipients(config: Config, to: list[str], languages: list[str]) -> Config:
    """`--to` sends the given languages to exactly these addresses."""
    return replace(config, email=replace(config.email, recipients_csv="",
                                         recipients={lang: list(to) for lang in languages}))
