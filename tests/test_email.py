"""E-mail delivery against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import socket
import threading
from dataclasses import replace

import pytest
from aiosmtpd.controller import Controller

from reportgen import PROJECT_ROOT
from reportgen.config import load_config, with_overrides
from reportgen.deliver import send
from reportgen.errors import EXIT_DEFERRED, PublishError, SourceUnavailableError
from reportgen.layout import LEDGER_FILE as LEDGER
from tests.conftest import ISSUE_DATE, SAMPLE_CONFIG, need, run_cli


class Inbox:
    """Keeps every message; refuses RCPT for addresses at refused.example."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp():
    inbox = Inbox()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def issue(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built.folder, out / ISSUE_DATE.isoformat())
    return out


def config_for(out, port, site_url="https://example.org/weekly/", **email_kw):
    cfg = with_overrides(load_config(SAMPLE_CONFIG), output_dir=str(out),
                         languages=["en", "zh-Hant"])
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "timeout": 3,
                "sender": "Macro Weekly <weekly@example.org>",
                "list_unsubscribe": "mailto:leave@example.org",
                "recipients": {"en": ["a@example.org", "x@refused.example", "not an address"],
                               "zh-Hant": ["b@example.org"]}, **email_kw}
    mail = replace(cfg.email, **settings)
    return replace(cfg, email=mail, site=replace(cfg.site, url=site_url))


def test_refuses_sample_issues_unless_forced(issue, smtp):
    inbox, port = smtp
    with pytest.raises(PublishError, match="sample data"):
        send(config_for(issue, port), ISSUE_DATE, ["en", "zh-Hant"])
    assert inbox.messages == []


def test_sends_one_message_per_language_and_never_twice(issue, smtp):
    inbox, port = smtp
    cfg = config_for(issue, port)
    report = send(cfg, ISSUE_DATE, ["en", "zh-Hant"], force=True)
    assert report.sent == {"en": ["a@example.org"], "zh-Hant": ["b@example.org"]}
    assert set(report.refused) == {"x@refused.example", "not an address"}
    assert len(inbox.messages) == 2
    by_lang = {}
    for rcpts, raw in inbox.messages:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        by_lang[msg["Content-Language"]] = (rcpts, msg)
    rcpts, en = by_lang["en"]
    assert rcpts == ["a@example.org"] and "a@example.org" not in str(en["To"])
    assert en["Message-ID"] and en["Date"] and en["List-Unsubscribe"] == (
        "<mailto:leave@example.org>")
    assert en.get_content_type() == "multipart/mixed"
    parts = [p.get_content_type() for p in en.walk()]
    assert parts == ["multipart/mixed", "multipart/alternative", "text/plain",
                     "multipart/related", "text/html", "image/png", "application/pdf"]
    pdf = next(p for p in en.walk() if p.get_content_type() == "application/pdf")
    assert pdf.get_content()[:5] == b"%PDF-"
    html = en.get_body(("html",)).get_content()
    assert "https://example.org/weekly/2026/11/23/en/" in html
    # To: names the list, never the sender or a recipient; Date carries a real zone
    assert str(en["To"]) == "Macro Liquidity Weekly readers:;"
    assert re.search(r" [+-]\d{4}$", str(en["Date"])) and not str(en["Date"]).endswith(
        "-0000")
    # the lead chart is inline: a PNG the HTML points at by its Content-ID
    png = next(p for p in en.walk() if p.get_content_type() == "image/png")
    assert png.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f'src="cid:{png["Content-ID"].strip("<>")}"' in html
    folder = issue / ISSUE_DATE.isoformat()
    assert png.get_content() == (folder / "charts" / "s4_reserves.email.png").read_bytes()
    # the stance, takeaways and key numbers with their change and state colours
    text = en.get_body(("plain",)).get_content()
    assert "Macro stance: Neutral" in text and "Key takeaways" in text
    assert "- Repo volume at or above IORB: 33.3% (19 Nov 2026); \u221216.7\u00a0pp" in text
    assert "Index concentration: from Calm to Watch" in html
    assert "Funding markets: from Strained to Calm" in html
    assert re.search(r"class=\"tone-watch\" style=\"color:#[0-9a-f]{6};\"", html)  # Watch
    assert "class=\"tone-stress\"" in html  # the debt loop stands in Stress
    assert "Key numbers" in html and "Since 16 Nov 2026" in html
    _, zh = by_lang["zh-Hant"]
    assert zh["Subject"].startswith("【示範資料】總經流動性週報")  # RFC 2047 decoded
    assert "五大回饋循環" in zh.get_body(("plain",)).get_content()
    assert str(zh["To"]) == "總經流動性週報讀者:;"

    again = send(cfg, ISSUE_DATE, ["en", "zh-Hant"], force=True)
    # the retry skips who already has it; only the refused address is tried again
    assert again.skipped == {"en": ["a@example.org"], "zh-Hant": ["b@example.org"]}
    assert again.sent == {"en": []} and "x@refused.example" in again.refused
    assert len(inbox.messages) == 2  # nobody got anything twice


def test_unreachable_or_silent_server_is_a_clear_error(issue):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    with pytest.raises(SourceUnavailableError, match="connection refused"):
        send(config_for(issue, port), ISSUE_DATE, ["en"], force=True)

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never greets
    cfg = config_for(issue, silent.getsockname()[1], timeout=1)
    with pytest.raises(SourceUnavailableError, match="no answer within the timeout"):
        send(cfg, ISSUE_DATE, ["en"], force=True)
    silent.close()
    assert not (issue / ISSUE_DATE.isoformat() / LEDGER).exists()


def test_a_dropped_connection_is_reported(issue):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def hang_up():
        conn, _ = server.accept()
        conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    with pytest.raises(SourceUnavailableError, match="closed the connection"):
        send(config_for(issue, server.getsockname()[1]), ISSUE_DATE, ["en"], force=True)
    server.close()


def test_cli_says_why_and_exits_non_zero_on_sample(issue):
    r = run_cli("send", "--date", ISSUE_DATE.isoformat(), "--output", str(issue), "--to",
                "a@example.org")
    assert r.returncode != 0 and "sample data" in r.stderr and "--force" in r.stderr


def test_recipients_from_a_csv_with_a_bad_row_reported(issue, smtp, tmp_path):
    inbox, port = smtp
    csv_file = tmp_path / "recipients.csv"
    csv_file.write_text("email,lang\nc@example.org,zh-Hant\nbroken@,en\nd@example.org,en\n",
                        encoding="utf-8")
    cfg = config_for(issue, port, recipients={}, recipients_csv=str(csv_file))
    report = send(cfg, ISSUE_DATE, ["en", "zh-Hant"], force=True)
    assert report.sent == {"en": ["d@example.org"], "zh-Hant": ["c@example.org"]}
    assert list(report.refused) == ["broken@"]
    assert sorted(r for rcpts, _ in inbox.messages for r in rcpts) == [
        "c@example.org", "d@example.org"]


# ---------------------------------------------------------------- at scale, and faults

class Limited(Inbox):
    """A server like a real one at scale: at most 100 recipients per message (452 4.5.3
    beyond), some mailboxes temporarily full (452 4.2.2) `busy[address]` more times
    (-1: always), and 550 for refused.example."""

    LIMIT = 100

    def __init__(self) -> None:
        super().__init__()
        self.busy: dict[str, int] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if len(envelope.rcpt_tos) >= self.LIMIT:
            return "452 4.5.3 Too many recipients"
        if self.busy.get(address):
            self.busy[address] -= 1
            return "452 4.2.2 Mailbox full, try again later"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def limited():
    inbox = Limited()
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def many(tmp_path, n, *extra):
    path = tmp_path / "recipients.csv"
    rows = [f"u{i:04d}@example.org" for i in range(n)] + list(extra)
    path.write_text("email,lang\n" + "".join(f"{a},en\n" for a in rows), encoding="utf-8")
    return path, rows


def delivered(inbox):
    return [r for rcpts, _ in inbox.messages for r in rcpts]


def test_a_thousand_recipients_go_in_batches_and_a_452_is_retried(issue, limited, tmp_path):
    inbox, port = limited
    inbox.busy["busy@example.org"] = 1  # full the first time only
    csv_file, rows = many(tmp_path, 1000, "busy@example.org", "gone@refused.example")
    cfg = config_for(issue, port, recipients={}, recipients_csv=str(csv_file),
                     retry_backoff=0.01)
    report = send(cfg, ISSUE_DATE, ["en"], force=True)
    assert sorted(report.sent["en"]) == sorted(rows[:-1])
    assert list(report.refused) == ["gone@refused.example"] and not report.pending
    assert max(len(rcpts) for rcpts, _ in inbox.messages) <= 100
    assert sorted(delivered(inbox)) == sorted(rows[:-1]), "someone got it twice or never"
    ledger = json.loads((issue / ISSUE_DATE.isoformat() / LEDGER).read_text())
    assert len(ledger["en"]) == 1001 and "pending" not in ledger

    again = send(cfg, ISSUE_DATE, ["en"], force=True)
    assert len(again.skipped["en"]) == 1001 and list(again.refused) == ["gone@refused.example"]
    assert len(delivered(inbox)) == 1001


def test_a_batch_larger_than_the_server_allows_follows_the_server(issue, limited, tmp_path):
    inbox, port = limited
    csv_file, rows = many(tmp_path, 1002)
    cfg = config_for(issue, port, recipients={}, recipients_csv=str(csv_file),
                     batch_size=500, retries=0)
    report = send(cfg, ISSUE_DATE, ["en"], force=True)
    assert sorted(report.sent["en"]) == sorted(rows) and not report.pending
    assert max(len(rcpts) for rcpts, _ in inbox.messages) == 100
    assert len(inbox.messages) == 11 and sorted(delivered(inbox)) == sorted(rows)


def test_an_address_still_deferred_is_pending_then_sent_by_the_next_send(issue, limited,
                                                                        tmp_path, capsys):
    from reportgen.cli import main

    inbox, port = limited
    inbox.busy["busy@example.org"] = -1
    toml = tmp_path / "reportgen.toml"
    toml.write_text(
        f'[report]\noutput_dir = "{issue}"\nlanguages = ["en"]\n'
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nretries = 1\n'
        'retry_backoff = 0.01\nrecipients = { en = ["a@example.org", "busy@example.org"] }\n'
        "[paths]\n" + "".join(f'{k} = "{PROJECT_ROOT / k}"\n'
                              for k in ("templates", "charts", "catalogs", "locales")),
        encoding="utf-8")
    argv = ["send", "--config", str(toml), "--date", ISSUE_DATE.isoformat(), "--force"]
    assert main(argv) == EXIT_DEFERRED
    err = capsys.readouterr().err
    assert ("busy@example.org: 452 4.2.2 Mailbox full, try again later; deferred by the "
            "server, pending") in err
    ledger = json.loads((issue / ISSUE_DATE.isoformat() / LEDGER).read_text())
    assert ledger["en"] == ["a@example.org"]
    assert ledger["pending"] == {"en": {"busy@example.org":
                                        "452 4.2.2 Mailbox full, try again later"}}

    inbox.busy.clear()  # the mailbox has room again
    assert main(argv) == 0
    assert "skipped 1 en address(es)" in capsys.readouterr().out
    ledger = json.loads((issue / ISSUE_DATE.isoformat() / LEDGER).read_text())
    assert ledger == {"en": ["a@example.org", "busy@example.org"]}
    assert sorted(delivered(inbox)) == ["a@example.org", "busy@example.org"]


@pytest.mark.parametrize("damage", ["edited", "stale"])
def test_send_refuses_an_issue_that_is_not_one_build(issue, smtp, damage):
    inbox, port = smtp
    folder = issue / ISSUE_DATE.isoformat()
    if damage == "edited":
        pdf = folder / f"reportgen-{ISSUE_DATE}-en.pdf"
        pdf.write_bytes(pdf.read_bytes() + b"\n% edited")
    else:  # a PDF an earlier build left behind
        (folder / f"reportgen-{ISSUE_DATE}-de.pdf").write_bytes(b"%PDF-1.7 old")
    with pytest.raises(PublishError, match=r"rebuild it with `reportgen run --date"):
        send(config_for(issue, port), ISSUE_DATE, ["en"], force=True)
    assert inbox.messages == []


# ---------------------------------------------------------------- who, when, which issue

def test_no_recipients_is_an_error_with_exit_2(issue):
    """The cron line `run && send && publish` must not succeed while no one gets mail."""
    r = run_cli("send", "--output", str(issue), "--force")  # tests/reportgen.toml: no lists
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "reportgen: error: no recipients for en, zh-Hant, zh-Hans: nothing to send; list them "
        "in [email] recipients or recipients_csv of reportgen.toml, or pass --to ADDRESS")
    assert r.stdout == "" and not (issue / ISSUE_DATE.isoformat() / LEDGER).exists()


def test_without_a_date_the_latest_issue_goes_out(issue, smtp):
    inbox, port = smtp
    older = issue / "2026-11-09"
    shutil.copytree(issue / ISSUE_DATE.isoformat(), older)
    report = send(config_for(issue, port), None, ["en"], force=True)
    assert report.issue_date == ISSUE_DATE and report.sent == {"en": ["a@example.org"]}
    msg = email.message_from_bytes(inbox.messages[0][1], policy=email.policy.default)
    assert "23 Nov 2026" in msg["Subject"]
    assert not (older / LEDGER).exists()


def test_to_combines_with_lang_and_says_the_recipient(issue, smtp):
    inbox, port = smtp
    cfg = config_for(issue, port)
    report = send(cfg, ISSUE_DATE, ["zh-Hant"], to=["z@example.org"], force=True)
    assert report.sent == {"zh-Hant": ["z@example.org"]}
    msg = email.message_from_bytes(inbox.messages[-1][1], policy=email.policy.default)
    assert (msg["Content-Language"], str(msg["To"])) == ("zh-Hant", "z@example.org")
    # without --lang each address gets its own language: b@ reads zh-Hant (its list), an
    # address on no list the first configured language
    report = send(cfg, ISSUE_DATE, None, to=["b@example.org", "new@example.org"], force=True)
    assert report.sent == {"zh-Hant": ["b@example.org"], "en": ["new@example.org"]}
    assert len(inbox.messages) == 3


def test_the_date_header_carries_the_local_zone(issue, monkeypatch):
    import time

    from reportgen.deliver import compose
    from reportgen.publish import verify

    monkeypatch.setenv("TZ", "Asia/Taipei")
    time.tzset()
    try:
        payload, _ = verify(issue / ISSUE_DATE.isoformat())
        msg = compose(config_for(issue, 25), issue / ISSUE_DATE.isoformat(), payload, "en")
    finally:
        monkeypatch.undo()
        time.tzset()
    assert str(msg["Date"]).endswith(" +0800")
    assert not any(p.get_content_type() == "image/png" for p in msg.walk())  # not given


def test_send_json_and_the_warning_without_a_site_url(issue, smtp, tmp_path, capsys):
    from reportgen.cli import main

    inbox, port = smtp
    toml = tmp_path / "reportgen.toml"
    toml.write_text(
        f'[report]\noutput_dir = "{issue}"\nlanguages = ["en"]\n'
        f'[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
        'recipients = { en = ["a@example.org", "bad@"] }\n'
        "[paths]\n" + "".join(f'{k} = "{PROJECT_ROOT / k}"\n'
                              for k in ("templates", "charts", "catalogs", "locales")),
        encoding="utf-8")
    # global options before the command, its own after it
    assert main(["--json", "--config", str(toml), "send", "--force"]) == 1  # bad@ refused
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["issue_date"] == ISSUE_DATE.isoformat()
    assert result["sent"] == {"en": ["a@example.org"]}
    assert result["refused"] == {"bad@": "not a valid e-mail address"}
    assert "reportgen: warning: site.url is not set: the e-mail has no link to the web " \
           "edition" in err
    assert result["warnings"] and "site.url" in result["warnings"][0]
    html = email.message_from_bytes(inbox.messages[0][1], policy=email.policy.default
                                    ).get_body(("html",)).get_content()
    assert "Read the web edition" not in html


# ---------------------------------------------------------------- as a reader sees it

@pytest.mark.slow
def test_the_email_reads_well_in_chromium_at_600_and_390(issue, tmp_path):
    """The HTML body as a mail client shows it (the inline chart resolved), at a desktop
    client's 600 px and a phone's 390 px, light and dark: nothing scrolls sideways, the
    chart loads and stays legible, and axe finds nothing serious. Screenshots go to
    test-artifacts/."""
    import base64

    from a11y import violations

    from reportgen.deliver import compose
    from reportgen.publish import verify
    from tests.test_html_browser import ARTIFACTS, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api")
    folder = issue / ISSUE_DATE.isoformat()
    payload, files = verify(folder, {"charts/s4_reserves.email.png"})
    pages = {}
    for lang in ("en", "zh-Hant"):
        msg = compose(config_for(issue, 25), folder, payload, lang, None, None,
                      files["charts/s4_reserves.email.png"])
        html = msg.get_body(("html",)).get_content()
        png = next(p for p in msg.walk() if p.get_content_type() == "image/png")
        data = "data:image/png;base64," + base64.b64encode(png.get_content()).decode()
        page = tmp_path / f"email-{lang}.html"
        page.write_text(html.replace(f"cid:{png['Content-ID'].strip('<>')}", data), "utf-8")
        pages[lang] = page
    ARTIFACTS.mkdir(exist_ok=True)
    problems = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=need("chromium"), args=CHROMIUM_ARGS)
        for lang, path in pages.items():
            for scheme in ("light", "dark"):
                for width in (600, 390):
                    ctx = browser.new_context(viewport={"width": width, "height": 900},
                                              color_scheme=scheme)
                    page = ctx.new_page()
                    page.goto(path.as_uri(), wait_until="load")
                    where = f"{lang} {width}px {scheme}"
                    scroll, inner = page.evaluate(
                        "[document.documentElement.scrollWidth, innerWidth]")
                    if scroll > inner:
                        problems.append(f"{where}: scrolls sideways ({scroll} > {inner})")
                    shown = page.evaluate("(() => { const i = document.querySelector('img');"
                                          " return [i.naturalWidth, i.getBoundingClientRect()"
                                          ".width]; })()")
                    if not shown[0] or shown[1] < width - 60:
                        problems.append(f"{where}: chart not shown full width: {shown}")
                    smallest = page.evaluate(
                        "Math.min(...Array.from(document.querySelectorAll('p,li,td,th,a,span'))"
                        ".filter(e => e.offsetParent && e.textContent.trim())"
                        ".map(e => parseFloat(getComputedStyle(e).fontSize)))")
                    if smallest < 12:
                        problems.append(f"{where}: text at {smallest}px")
                    problems += [f"{where}: {v}" for v in violations(page)]
                    page.screenshot(path=str(ARTIFACTS / f"email-{lang}-{width}-{scheme}.png"),
                                    full_page=True)
                    ctx.close()
        browser.close()
    assert not problems, "\n".join(problems)
