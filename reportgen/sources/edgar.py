"""SEC EDGAR's XBRL company facts (JSON, keyless): what the large AI spenders invest and borrow.

One request per company, `/api/xbrl/companyfacts/CIK##########.json` on SEC's data host,
answers every fact the filer has tagged in its filings:

    facts -> us-gaap -> TAG -> units -> USD -> [{start, end, val, accn, fy, fp, form,
                                                filed, frame}, ...]

`start` is absent for a value at an instant (the balance sheet). The same period comes
again in later filings (comparatives, restatements, amendments): every one is kept with its
filing date, so the store can say what was known on any day (see `Store.filings`). Only the
tags the catalog names, in U.S. dollars, from annual and quarterly reports are kept; how
year-to-date cash flows become quarters is the signals' business (signals/hyperscalers.py).

SEC's fair-access rules: every request names who asks and a contact address in its
User-Agent (without one SEC answers 403), and at most ten requests a second go out (more
gets the address blocked for a while, announced by 429).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any

from reportgen.catalog import Company
from reportgen.errors import CatalogError, ConfigError, MalformedDataError, SourceError
from reportgen.sources.net import Http, HttpStatusError
from reportgen.sources.validate import MAX_WARNINGS_SHOWN, parse_date, parse_value
from reportgen.store import Fact

log = logging.getLogger(__name__)

FORMS = frozenset({"10-K", "10-K/A", "10-Q", "10-Q/A", "10-KT", "10-KT/A"})
TAXONOMY = "us-gaap"
UNIT = "USD"
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
AGENT_HELP = ("a name and a contact e-mail, e.g. \"Acme Research admin@acme.com\" (SEC's "
              "fair-access rules)")


def check_user_agent(text: str, origin: str) -> str:
    """The User-Agent as SEC wants it: who is asking and how to reach them."""
    words = [w.strip("<>()[],;") for w in text.split()]
    mail = [bool(_EMAIL.match(w)) for w in words if w]
    if not any(mail) or all(mail):
        raise ConfigError(f"{origin}: {text[:60]!r} does not give {AGENT_HELP}")
    return " ".join(text.split())


def companyfacts_url(base_url: str, cik: int) -> str:
    return f"{base_url.rstrip('/')}/api/xbrl/companyfacts/CIK{cik:010d}.json"


def concept_url(base_url: str, cik: int, tag: str) -> str:
    """One tag of one company: a small answer, for `reportgen doctor`."""
    return f"{base_url.rstrip('/')}/api/xbrl/companyconcept/CIK{cik:010d}/{TAXONOMY}/{tag}.json"


def fetch_company(http: Http, base_url: str, company: Company, tags: set[str],
                  today: dt.date) -> list[Fact]:
    """Every fact of `tags` that `company` has filed, each with its filing date."""
    what = f"{company.id} (CIK {company.cik})"
    try:
        body = http.get(companyfacts_url(base_url, company.cik), what)
    except HttpStatusError as exc:
        raise _status_error(exc, what) from None
    return parse_companyfacts(body, company, tags, today)


def _status_error(exc: HttpStatusError, what: str) -> SourceError | ConfigError | CatalogError:
    if exc.status == 403:
        return ConfigError(f"SEC EDGAR refused {what} (HTTP 403): its fair-access rules want "
                           f"a User-Agent with {AGENT_HELP}; check data.sec_user_agent or "
                           "REPORTGEN_SEC_USER_AGENT")
    if exc.status == 404:
        return CatalogError(f"SEC EDGAR has no XBRL company facts for {what} (HTTP 404); "
                            "check the company's cik")
    return SourceError(f"SEC EDGAR: {what}: HTTP {exc.status} from {exc.url}")


def parse_companyfacts(body: bytes, company: Company, tags: set[str], today: dt.date
                       ) -> list[Fact]:
    """The facts of one companyfacts answer, checked; a malformed answer raises, a bad fact
    is skipped with a warning."""
    where = f"SEC EDGAR company facts for {company.id} (CIK {company.cik})"
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        kind = "an HTML page" if body.lstrip()[:1] == b"<" else "not JSON"
        raise MalformedDataError(f"{where}: the answer was {kind} ({exc}); the service or "
                                 "a proxy in between is misbehaving, try later") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("facts"), dict):
        raise MalformedDataError(f"{where}: no 'facts' in the answer; not SEC's company "
                                 "facts format")
    if _int(doc.get("cik")) != company.cik:
        raise MalformedDataError(f"{where}: the answer is for CIK {doc.get('cik')!r}, not "
                                 f"{company.cik}")
    gaap = doc["facts"].get(TAXONOMY, {})
    if not isinstance(gaap, dict):
        raise MalformedDataError(f"{where}: facts.{TAXONOMY} is not an object")
    facts: list[Fact] = []
    warnings: list[str] = []
    latest = today + dt.timedelta(days=1)
    for tag in sorted(tags & set(gaap)):
        units = gaap[tag].get("units", {}) if isinstance(gaap[tag], dict) else {}
        for i, raw in enumerate(units.get(UNIT, []) if isinstance(units, dict) else []):
            fact = _fact(tag, raw, latest)
            if isinstance(fact, str):
                warnings.append(f"{tag} #{i + 1}: {fact}")
            elif fact is not None:
                facts.append(fact)
    if not facts:
        raise MalformedDataError(f"{where}: none of the catalog's {len(tags)} tags has a fact "
                                 f"in {UNIT} from a 10-K or 10-Q"
                                 + (f" ({warnings[0]})" if warnings else "")
                                 + "; check the company's cik and tags in the catalog")
    if warnings:
        more = len(warnings) - MAX_WARNINGS_SHOWN
        log.warning("%s: skipped %d fact(s): %s%s", where, len(warnings),
                    "; ".join(warnings[:MAX_WARNINGS_SHOWN]),
                    f" (and {more} more)" if more > 0 else "")
    return facts


def _fact(tag: str, raw: Any, latest: dt.date) -> Fact | str | None:
    """A checked fact, None for one of another form (8-K, S-1...), or why it is unusable."""
    if not isinstance(raw, dict):
        return "not an object"
    form = str(raw.get("form", ""))
    if form not in FORMS:
        return None
    end, filed = parse_date(str(raw.get("end", ""))), parse_date(str(raw.get("filed", "")))
    start = parse_date(str(raw["start"])) if raw.get("start") is not None else None
    value = parse_value(raw.get("val"))
    accn = str(raw.get("accn", "")).strip()
    if end is None or filed is None or (raw.get("start") is not None and start is None):
        return f"a date that does not parse (start {raw.get('start')!r}, end " \
               f"{raw.get('end')!r}, filed {raw.get('filed')!r})"
    if value is None or isinstance(raw.get("val"), str):
        return f"val {str(raw.get('val'))[:30]!r} is not a number"
    if not accn:
        return "no accession number"
    if (start is not None and start > end) or filed > latest or filed < end:
        return f"impossible dates (start {start}, end {end}, filed {filed})"
    return Fact(tag, start, end, value, accn, form, filed, _int(raw.get("fy")),
                str(raw.get("fp") or ""), str(raw.get("frame") or ""))


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
