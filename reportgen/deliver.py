"""Deliver: e-mail a published issue, one message per language, its PDF attached.

The body (the stance, the key takeaways, the key numbers with their change since the last
issue, the lead chart inline, the five loops, a link to the web edition) is the issue's
digest (reportgen/narrative/digest.py), built from its signals.json, so the e-mail says
what the report says. Recipients go in Bcc, in batches of at most email.batch_size (fewer
when the server says "452 4.5.3 too many recipients"); `To:` names the list. A ledger
(sent.json beside the issue) records who got which language, so a retry after a failure
sends only to those who have not had it. An address refused for good (5xx) is reported
and left out; one the server defers (4xx) is retried with backoff and, if still deferred,
recorded as pending for the next `send`.

The issue is checked against the manifest in its signals.json first, and the PDF attached
and the chart shown are the ones that were checked: a folder whose files are not one
build's is refused.
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
from dataclasses import dataclass, field
from email.headerregistry import Group
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from reportgen import layout
from reportgen.config import Config
from reportgen.errors import ConfigError, PublishError, SourceUnavailableError
from reportgen.layout import Issue
from reportgen.narrative.digest import EMAIL_CHART, TONES, Digest, digest
from reportgen.publish import verify, write_json
from reportgen.render import environment, render_html

log = logging.getLogger(__name__)
PENDING = "pending"  # the ledger's record of deferred addresses: {lang: {address: reason}}
MAX_BACKOFF = 900.0
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
ENV = "REPORTGEN_SMTP_"
NO_SITE_URL = ("site.url is not set: the e-mail has no link to the web edition; set [site] "
               "url in reportgen.toml (or REPORTGEN_SITE_URL)")


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
    issue_date: dt.date | None = None
    sent: dict[str, list[str]] = field(default_factory=dict)
    skipped: dict[str, list[str]] = field(default_factory=dict)   # already had it
    refused: dict[str, str] = field(default_factory=dict)         # address -> reason
    pending: dict[str, str] = field(default_factory=dict)         # deferred (4xx) -> reason
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """What `send --json` prints."""
        return {"issue_date": self.issue_date.isoformat() if self.issue_date else None,
                "sent": self.sent, "skipped": self.skipped, "refused": self.refused,
                "pending": self.pending, "warnings": self.warnings}


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
            if valid(address):
                good.setdefault(lang, []).append(address)
            else:
                bad[address] = "not a valid e-mail address"
    return good, bad


def valid(address: str) -> bool:
    return bool(ADDRESS.match(parseaddr(address)[1])) and parseaddr(address)[1] == address


def chosen_recipients(config: Config, to: list[str], languages: list[str] | None
                      ) -> tuple[dict[str, list[str]], dict[str, str]]:
    """`--to`: these addresses instead of the lists. With `--lang`, in exactly those
    languages; without, each in the languages the lists give it (its subscriptions), or
    in the first configured language when it is on no list."""
    bad = {a: "not a valid e-mail address" for a in to if not valid(a)}
    to = [a for a in dict.fromkeys(to) if a not in bad]
    if languages is not None:
        return {lang: list(to) for lang in languages if to}, bad
    listed, _ = recipients(config, config.report.languages)
    good: dict[str, list[str]] = {}
    for address in to:
        langs = [lang for lang, found in listed.items() if address in found]
        for lang in langs or config.report.languages[:1]:
            good.setdefault(lang, []).append(address)
    return good, bad


def latest_issue(config: Config) -> dt.date:
    """The newest published issue: what `send` mails when no --date is given."""
    found = layout.issues(config.output_dir)
    if not found:
        raise PublishError(f"{config.output_dir}: no published issue to send; run "
                           "`reportgen run` first")
    return found[0].date


def web_url(config: Config, date: dt.date, lang: str) -> str:
    """The edition's address on the site (site.url), or '' when the site's is unknown."""
    return f"{config.site.url}{date:%Y/%m/%d}/{lang}/" if config.site.url else ""


def list_name(config: Config, d: Digest, translations: Any) -> str:
    """What `To:` says when the issue goes to the lists."""
    return config.email.list_name or translations.gettext("%(title)s readers") % {
        "title": d.title}


def compose(config: Config, issue: Path, payload: dict[str, Any], lang: str,
            to: list[str] | None = None, pdf_bytes: bytes | None = None,
            chart_bytes: bytes | None = None, content: Any = None) -> EmailMessage:
    """One language's message: text and HTML alternatives, the lead chart inline (given
    as PNG bytes, which send() has checked against the manifest), the PDF attached. `to`:
    the addresses `To:` shows (--to), else the list's name."""
    from reportgen.pipeline import load_content

    content = content or load_content(config, [lang])
    locale = content.locales[lang]
    t = locale.translations
    d = digest(payload, content, lang, config.report.title,
               config.email.lead_chart if chart_bytes else "")
    subject = t.gettext("%(title)s, %(date)s: %(stance)s") % {
        "title": d.title, "date": d.date_text, "stance": d.stance or "–"}
    if payload.get("sample"):
        subject = t.gettext("[SAMPLE DATA] %(subject)s") % {"subject": subject}
    domain = parseaddr(config.email.sender)[1].split("@")[-1] or "localhost"
    cid = make_msgid("lead-chart", domain=domain)
    unsubscribe = config.email.list_unsubscribe
    ctx = {"lang": lang, "subject": subject, "d": d, "sample": d.sample,
           "stance_tone": TONES.get(d.stance_key, ""), "chart": d.chart,
           "chart_cid": cid[1:-1], "web_url": web_url(config, d.date, lang),
           "unsubscribe": unsubscribe}
    html = render_html(locale.env, "email.html.j2", ctx)
    text = render_html(environment(config.content, t, locale.separator, autoescape=False),
                       "email.txt.j2", ctx)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config.email.sender
    msg["To"] = ", ".join(to) if to else Group(list_name(config, d, t))
    msg["Date"] = format_datetime(dt.datetime.now().astimezone())  # the local zone
    msg["Message-ID"] = make_msgid(domain=domain)
    if unsubscribe:
        msg["List-Unsubscribe"] = f"<{unsubscribe}>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    if chart_bytes and d.chart is not None:
        msg.get_payload()[1].add_related(chart_bytes, maintype="image", subtype="png",
                                         cid=cid, filename=d.chart.file)
    pdf = Issue(issue.parent, d.date).pdf(lang)
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


def send(config: Config, issue_date: dt.date | None = None,
         languages: list[str] | None = None, to: list[str] | None = None,
         force: bool = False) -> Report:
    """E-mail an issue (the latest when no date is given) in each language to whoever has
    not had it. `languages` None: the configured ones (for `to`, each address's own)."""
    from reportgen.pipeline import load_content

    if to:
        good, bad = chosen_recipients(config, to, languages)
    else:
        good, bad = recipients(config, languages or config.report.languages)
    good = {lang: found for lang, found in good.items() if found}
    if not good and not bad:  # said before anything else: cron must not "succeed" silently
        asked = ", ".join(languages or config.report.languages)
        raise ConfigError(f"no recipients for {asked}: nothing to send; list them in "
                          "[email] recipients or recipients_csv of reportgen.toml, or pass "
                          "--to ADDRESS")
    issue_date = issue_date or latest_issue(config)
    layout_ = Issue(config.output_dir, issue_date)
    issue = layout_.folder
    report = Report(issue_date=issue_date, refused=dict(bad))
    wanted = list(good)
    pdf_names = {lang: layout_.pdf_name(lang) for lang in wanted}
    lead = config.email.lead_chart
    pngs = {lang: [f"charts/{name}" for name in lead_pngs(lead, lang)] for lang in wanted}
    try:
        payload, files = verify(issue, {*pdf_names.values(), *(n for p in pngs.values()
                                                              for n in p)})
    except FileNotFoundError:
        raise PublishError(f"{issue}: no published issue for {issue_date}; run "
                           f"`reportgen run --date {issue_date}` first") from None
    if payload.get("sample") and not force:
        raise PublishError(f"issue {issue_date} was built on sample data, not real "
                           "observations; not sending it (pass --force to send anyway)")
    # The lead chart, when the build drew it (it may have had no data this week).
    charts = {lang: next((files[n] for n in pngs[lang] if n in files), None)
              for lang in wanted}
    if not config.site.url:
        report.warnings.append(NO_SITE_URL)
    ledger_path = layout_.ledger
    ledger = _read_ledger(ledger_path)
    todo = {}
    for lang, addresses in good.items():
        if pdf_names[lang] not in files:
            raise PublishError(f"{issue}: no {lang} PDF in this issue; rebuild it with "
                               f"`reportgen run --date {issue_date} --lang {lang}`")
        done = set(ledger.get(lang, []))
        report.skipped[lang] = [a for a in addresses if a in done]
        todo[lang] = [a for a in addresses if a not in done]
    if not any(todo.values()):
        return report
    _check_writable(ledger_path)
    content = load_content(config, [lang for lang, found in todo.items() if found])
    messages = {lang: compose(config, issue, payload, lang, addresses if to else None,
                              files[pdf_names[lang]], charts[lang], content)
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


def lead_pngs(chart_id: str, lang: str) -> list[str]:
    """Names the lead chart's PNG may have: per language when its words are inside."""
    return [f"{chart_id}.{lang}{EMAIL_CHART}.png", f"{chart_id}{EMAIL_CHART}.png"] \
        if chart_id else []


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
