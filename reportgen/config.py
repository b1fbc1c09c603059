"""The configuration: one declared schema, validated once at start-up.

Every option has a default, a type and a one-line doc; `reportgen.toml` overrides defaults
and command-line flags override the file. A bad value is reported as one line naming the
file, the key and what to write instead.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from reportgen import FORMATS
from reportgen.content import KINDS, ContentPaths, builtin_root
from reportgen.errors import ConfigError

CONFIG_NAME = "reportgen.toml"
PAGE_SIZES = ("A4", "Letter")
DATA_SOURCES = ("live", "sample")
# Environment variables that override an option (they win over the file, flags win over
# them). Secrets live here rather than in a file that may be committed.
ENV = {
    "report.cache_dir": "REPORTGEN_CACHE_DIR",
    "data.fred_api_key": "FRED_API_KEY",
    "data.fred_api_url": "REPORTGEN_FRED_API_URL",
    "data.fred_csv_url": "REPORTGEN_FRED_CSV_URL",
    "data.nyfed_url": "REPORTGEN_NYFED_URL",
    "email.smtp_host": "REPORTGEN_SMTP_HOST",
    "email.smtp_port": "REPORTGEN_SMTP_PORT",
    "email.smtp_security": "REPORTGEN_SMTP_SECURITY",
    "email.smtp_user": "REPORTGEN_SMTP_USER",
    "site.url": "REPORTGEN_SITE_URL",
}
SECRETS = frozenset({"data.fred_api_key"})


def _opt(default: Any, doc: str, **kw: Any) -> Any:
    """A schema entry: the doc is what `reportgen config` and the README show."""
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata={"doc": doc, **kw})
    return field(default=default, metadata={"doc": doc, **kw})


@dataclass(frozen=True)
class ReportConfig:
    title: str = _opt("Macro Liquidity Weekly", "Title on the cover, running header and metadata.",
                      one_line=True)
    publisher: str = _opt("reportgen", "Author/publisher written into the PDF metadata.")
    languages: list[str] = _opt(["en", "zh-Hant", "zh-Hans"], "Languages to write, from "
                                "locales/languages.toml: en, zh-Hant, zh-Hans built in.")
    formats: list[str] = _opt(list(FORMATS), "Formats to write: pdf, html.", choices=FORMATS)
    page_size: str = _opt("A4", "PDF page size: A4 or Letter.", choices=PAGE_SIZES)
    pdf_charts: str = _opt("svg", "Charts in the PDF: svg (sharp, searchable labels, smaller "
                           "file) or png (200 dpi, faster layout, larger file).",
                           choices=("svg", "png"))
    output_dir: str = _opt("output", "Where dated issue folders are written (relative to config).")
    workers: int = _opt(2, "Processes used to draw charts and lay out PDFs (1 = no pool).",
                        minimum=1)
    max_note_kb: int = _opt(256, "Largest analyst note read, in KB; a larger one is left out "
                            "with a warning (in every language).", minimum=1)
    cache_mb: int = _opt(500, "Size bound of the build cache (charts, PDFs, analyses) in MB; "
                         "0 switches it off. Least recently used entries go first.", minimum=0)
    cache_dir: str = _opt("", "Where the build cache lives (relative to config); empty: "
                          ".cache in the output folder.")


@dataclass(frozen=True)
class DataConfig:
    source: str = _opt("live", "Where observations come from: live (FRED, New York Fed, SEC "
                       "EDGAR and your CSV files, kept in the store) or sample (the bundled "
                       "synthetic sample).",
                       choices=DATA_SOURCES)
    store: str = _opt("data/reportgen.sqlite", "The embedded store (SQLite) of observations, "
                      "vintages, metadata and the fetch log (relative to the config file).")
    fred_api_key: str = _opt("", "FRED API key (env FRED_API_KEY wins). With a key, FRED is "
                             "read through its API with vintages; without, from the keyless "
                             "CSV download.")
    fred_api_url: str = _opt("https://api.stlouisfed.org/fred", "FRED API base URL (env "
                             "REPORTGEN_FRED_API_URL), for mirrors, proxies and tests.")
    fred_csv_url: str = _opt("https://fred.stlouisfed.org/graph/fredgraph.csv", "FRED's keyless "
                             "CSV download (env REPORTGEN_FRED_CSV_URL).")
    nyfed_url: str = _opt("https://markets.newyorkfed.org", "New York Fed Markets API base URL "
                          "(env REPORTGEN_NYFED_URL).")
    sec_url: str = _opt("https://data.sec.gov", "SEC EDGAR's data host, for XBRL company facts "
                        "(env REPORTGEN_SEC_URL).")
    sec_user_agent: str = _opt("", "Who is asking, for SEC's fair-access rules: a name and a "
                               "contact e-mail, e.g. \"Acme Research admin@acme.com\" (env "
                               "REPORTGEN_SEC_USER_AGENT). Without one SEC EDGAR is not asked.")
    timeout: int = _opt(20, "Seconds any one request to a source may take in all (connect, "
                        "headers and the whole answer), not per read.", minimum=1)
    max_response_mb: float = _opt(32.0, "Largest answer accepted from a source, in MB; a "
                                  "larger one is refused as it arrives.", minimum=0.001)
    retries: int = _opt(4, "Retries after a timeout, a dropped connection, 429 or 5xx "
                        "(with exponential backoff and jitter; Retry-After is honoured).",
                        minimum=0)
    backoff: float = _opt(1.0, "Seconds before the first retry; doubles each time (capped at "
                          "30 s).", minimum=0)
    fred_per_second: float = _opt(1.8, "Requests a second to FRED, shared by all threads: a "
                                  "little under FRED's limit of about 2 (bursts get 429).",
                                  minimum=0)
    fred_per_minute: int = _opt(120, "Requests a minute to FRED per key (FRED's limit).",
                                minimum=1)
    nyfed_per_second: float = _opt(4.0, "Requests a second to the New York Fed.", minimum=0)
    sec_per_second: float = _opt(8.0, "Requests a second to SEC EDGAR, shared by all threads: "
                                 "under SEC's limit of 10 (more gets the address blocked).",
                                 minimum=0)
    threads: int = _opt(4, "Series fetched at once (the rate budget is shared).", minimum=1)
    revision_window_days: int = _opt(400, "An incremental fetch re-reads this many days before "
                                     "the last stored observation, to catch revisions "
                                     "(0 = the whole history).", minimum=0)
    vintage_days: int = _opt(730, "A first fetch with an API key keeps every vintage of the "
                             "last this many days; older as-of dates are read from FRED on "
                             "demand.", minimum=0)
    stale_after_days: int = _opt(3, "A series not fetched successfully for this many days "
                                 "before the issue date is marked stale in the report.",
                                 minimum=0)
    store_timeout: int = _opt(60, "Seconds to wait for another process writing the store "
                              "before giving up and saying who holds it.", minimum=0)


@dataclass(frozen=True)
class EmailConfig:
    sender: str = _opt("reportgen <reportgen@localhost>", "From address of the newsletter.",
                       one_line=True)
    recipients: dict[str, list[str]] = _opt({}, "Recipients per language, e.g. "
                                            "{ en = [\"a@example.org\"], \"zh-Hant\" = [] }.")
    recipients_csv: str = _opt("", "CSV of recipients with columns email,lang (optional).")
    smtp_host: str = _opt("localhost", "SMTP server (env REPORTGEN_SMTP_HOST).", one_line=True)
    smtp_port: int = _opt(25, "SMTP port (env REPORTGEN_SMTP_PORT).", minimum=1)
    smtp_security: str = _opt("none", "none, starttls or ssl (env REPORTGEN_SMTP_SECURITY).",
                              choices=("none", "starttls", "ssl"))
    smtp_user: str = _opt("", "SMTP login (env REPORTGEN_SMTP_USER); the password only ever "
                              "comes from REPORTGEN_SMTP_PASSWORD.", one_line=True)
    timeout: int = _opt(30, "Seconds to wait for the SMTP server.", minimum=1)
    batch_size: int = _opt(100, "Recipients per message, at most (Bcc); keep it at or under "
                           "the server's limit (a server that says fewer is followed).",
                           minimum=1)
    retries: int = _opt(3, "Rounds of retrying addresses the server deferred (4xx), with "
                        "backoff; those still deferred stay pending in sent.json for the "
                        "next `send`.", minimum=0)
    retry_backoff: float = _opt(30.0, "Seconds before the first retry round; doubles each "
                                "round.", minimum=0)
    web_url: str = _opt("", "Old name of site.url, still read: used when site.url is unset "
                        "(setting both to different URLs is an error).", one_line=True,
                        url=True)
    list_name: str = _opt("", "What the To: header says when the issue goes to the lists "
                          "(the addresses stay in Bcc), e.g. \"Macro Liquidity Weekly "
                          "readers\"; empty: the report title and \"readers\", translated.",
                          one_line=True)
    lead_chart: str = _opt("s4_reserves", "Chart shown in the e-mail's body (an id from a "
                           "section's charts.toml); the build saves a PNG of it beside its "
                           "SVG. Empty: no chart in the e-mail.")
    list_unsubscribe: str = _opt("", "List-Unsubscribe header value (mailto: or https: URL).",
                                 one_line=True)


@dataclass(frozen=True)
class SiteConfig:
    url: str = _opt("", "Absolute URL the static site is served from, e.g. "
                    "https://example.org/weekly/ (env REPORTGEN_SITE_URL). Feeds, the sitemap "
                    "and the e-mail's link to the web edition need it; `publish` and the "
                    "weekly job use it.", one_line=True, url=True)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class ScheduleConfig:
    day: str = _opt("monday", "Weekday of the weekly run.", choices=WEEKDAYS)
    time: str = _opt("07:00", "Time of day of the weekly run, HH:MM.")
    timezone: str = _opt("America/New_York", "IANA time zone of day and time.")
    send: bool = _opt(False, "E-mail the issue after the weekly run.")
    publish: bool = _opt(False, "Rebuild the static site after the weekly run.")
    operator_email: str = _opt("", "Address told when a scheduled run fails (optional).",
                               one_line=True)
    lock_timeout: int = _opt(900, "Seconds an on-demand run waits for a running job.",
                             minimum=0)


@dataclass(frozen=True)
class PathsConfig:
    templates: str = _opt("templates", "Workspace templates; a file here replaces the built-in "
                          "file at the same relative path.")
    sections: str = _opt("sections", "Workspace sections: a new section per folder "
                         "(sections/<id>/section.toml …), or files overriding a built-in "
                         "section's.")
    charts: str = _opt("charts", "Workspace house style for charts (overrides).")
    catalogs: str = _opt("catalogs", "Workspace indicator, event and scorecard catalogs "
                         "(overrides).")
    locales: str = _opt("locales", "Workspace message catalogs (overrides).")
    notes: str = _opt("notes", "Analyst commentary: notes/YYYY-MM-DD/<section>.<lang>.md.")


@dataclass(frozen=True)
class Config:
    report: ReportConfig = field(default_factory=ReportConfig)
    data: DataConfig = field(default_factory=DataConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    site: SiteConfig = field(default_factory=SiteConfig)
    paths: PathsConfig = field(default_factory=PathsConfig)
    base_dir: Path = field(default_factory=Path.cwd)
    source_file: Path | None = None
    # Where each effective value came from: "file", "env" or "flag" (absent: default).
    origins: Mapping[str, str] = field(default_factory=dict)

    def path(self, value: str) -> Path:
        """Resolve a configured path relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def output_dir(self) -> Path:
        return self.path(self.report.output_dir)

    @property
    def content(self) -> ContentPaths:
        """Templates, charts, catalogs and locales: the workspace's files, then built-ins."""
        return ContentPaths({kind: self.path(getattr(self.paths, kind)) for kind in KINDS},
                            builtin_root())

    @property
    def notes_dir(self) -> Path:
        return self.path(self.paths.notes)

    @property
    def store_path(self) -> Path:
        return self.path(self.data.store)


_SECTIONS: dict[str, type] = {"report": ReportConfig, "data": DataConfig,
                               "email": EmailConfig, "schedule": ScheduleConfig,
                               "site": SiteConfig, "paths": PathsConfig}


def _check_value(where: str, spec: Any, value: Any) -> Any:
    """Validate one option against its declared type, choices and bounds."""
    kind = spec.type if isinstance(spec.type, str) else spec.type.__name__
    meta = spec.metadata
    if kind.startswith("dict"):
        if not isinstance(value, dict) or not all(
                isinstance(v, list) and all(isinstance(x, str) for x in v)
                for v in value.values()):
            raise ConfigError(f"{where}: expected a table of lists of strings, got {value!r}")
        return value
    if kind.startswith("list"):
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        if not value:
            raise ConfigError(f"{where}: must not be empty")
        bad = [v for v in value if "choices" in meta and v not in meta["choices"]]
        if bad:
            raise ConfigError(f"{where}: unknown value {bad[0]!r}; use one of "
                              + ", ".join(meta["choices"]))
        return list(dict.fromkeys(value))
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        if value < meta.get("minimum", value):
            raise ConfigError(f"{where}: must be at least {meta['minimum']}, got {value}")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if value < meta.get("minimum", value):
            raise ConfigError(f"{where}: must be at least {meta['minimum']}, got {value}")
        return float(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if meta.get("one_line") and any(c in value for c in "\r\n\0"):
        raise ConfigError(f"{where}: must be one line, without line breaks (it goes into a "
                          f"mail header), got {value!r}")
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f"{where}: unknown value {value!r}; use one of "
                          + ", ".join(meta["choices"]))
    if meta.get("url") and value:
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ConfigError(f"{where}: {value!r} is not an absolute http(s) URL; write it "
                              "like https://example.org/weekly/")
        value = value if value.endswith("/") else value + "/"
    return value


def _build_section(name: str, cls: type, raw: Any, origin: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: [{name}] must be a table")
    specs = {f.name: f for f in fields(cls)}
    if name == "email" and "smtp_password" in raw:
        raise ConfigError(f"{origin}: email.smtp_password: passwords are never read from the "
                          "config file; set REPORTGEN_SMTP_PASSWORD in the environment")
    unknown = sorted(set(raw) - set(specs))
    if unknown:
        raise ConfigError(f"{origin}: unknown key {name}.{unknown[0]}; known keys: "
                          + ", ".join(specs))
    values = {k: _check_value(f"{origin}: {name}.{k}", specs[k], v) for k, v in raw.items()}
    return cls(**values)


def parse_config(raw: dict[str, Any], origin: str, base_dir: Path) -> Config:
    """Build a Config from a parsed TOML document; `origin` names it in errors."""
    unknown = sorted(set(raw) - set(_SECTIONS))
    if unknown:
        raise ConfigError(f"{origin}: unknown section [{unknown[0]}]; known sections: "
                          + ", ".join(_SECTIONS))
    parts = {name: _build_section(name, cls, raw.get(name, {}), origin)
             for name, cls in _SECTIONS.items()}
    origins = {f"{name}.{key}": "file" for name, table in raw.items() for key in table}
    parts["site"] = _site_alias(parts, origin)
    if parts["site"].url and "site.url" not in origins:
        origins["site.url"] = "file"  # from email.web_url
    config = Config(**parts, base_dir=base_dir, origins=origins)
    _check_languages(config, origin)
    return config


def _site_alias(parts: dict[str, Any], origin: str) -> SiteConfig:
    """email.web_url, the old name of site.url, still works; two different URLs do not."""
    site, old = parts["site"], parts["email"].web_url
    if old and site.url and old != site.url:
        raise ConfigError(f"{origin}: email.web_url ({old}) and site.url ({site.url}) differ; "
                          "keep site.url only (email.web_url is its old name)")
    return replace(site, url=site.url or old)


def _check_languages(config: Config, origin: str, flag: str | None = None) -> None:
    """Language codes must be ones locales/languages.toml (workspace or built-in) has."""
    from reportgen.i18n import check_languages

    where = flag or f"{origin}: report.languages"
    check_languages(config.content, config.report.languages, where)
    check_languages(config.content, list(config.email.recipients),
                    f"{origin}: email.recipients")


def with_environment(config: Config, environ: Mapping[str, str] | None = None) -> Config:
    """Apply the environment variables of ENV on top of the file, validated like it."""
    environ = os.environ if environ is None else environ
    changed: dict[str, dict[str, Any]] = {}
    for key, var in ENV.items():
        text = environ.get(var, "").strip()
        if not text:
            continue
        section, name = key.split(".")
        spec = {f.name: f for f in fields(_SECTIONS[section])}[name]
        value: Any = text
        if spec.type in ("int", int):
            if not text.isdigit():
                raise ConfigError(f"{var}: expected a whole number, got {text!r}")
            value = int(text)
        changed.setdefault(section, {})[name] = _check_value(var, spec, value)
    if not changed:
        return config
    parts = {section: replace(getattr(config, section), **values)
             for section, values in changed.items()}
    origins = {**config.origins, **{f"{s}.{k}": "env" for s, v in changed.items() for k in v}}
    return replace(config, **parts, origins=origins)


def load_config(path: Path | None = None) -> Config:
    """Read the config file (the given path, else ./reportgen.toml, else the defaults with
    the working folder as the workspace), then apply the environment."""
    return with_environment(_load_file(path))


def _load_file(path: Path | None) -> Config:
    if path is None:
        candidate = Path.cwd() / CONFIG_NAME
        if not candidate.exists():
            return Config()
        path = candidate
    if not path.exists():
        raise ConfigError(f"{path}: config file not found; pass an existing file to --config")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the line named") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc})") from None
    config = parse_config(raw, str(path), path.resolve().parent)
    return replace(config, source_file=path.resolve())


# Command-line flag that sets each [report] option, for error messages.
FLAGS = {"languages": "--lang", "formats": "--format", "output_dir": "--output",
         "page_size": "--page-size", "workers": "--workers", "pdf_charts": "--pdf-charts",
         "cache_mb": "--no-cache"}


def with_overrides(config: Config, **report_overrides: Any) -> Config:
    """Apply command-line flags on top of the file, validating them like file values."""
    specs = {f.name: f for f in fields(ReportConfig)}
    values = {k: _check_value(FLAGS.get(k, f"--{k}"), specs[k], v)
              for k, v in report_overrides.items() if v is not None}
    origins = {**config.origins, **{f"report.{k}": "flag" for k in values}}
    config = replace(config, report=replace(config.report, **values), origins=origins)
    if "languages" in values:
        _check_languages(config, "", FLAGS["languages"])
    return config


def with_site_url(config: Config, url: str) -> Config:
    """`publish --base-url` on top of site.url, checked like the file's value."""
    spec = {f.name: f for f in fields(SiteConfig)}["url"]
    value = _check_value("--base-url", spec, url)
    return replace(config, site=replace(config.site, url=value),
                   origins={**config.origins, "site.url": "flag"})


@dataclass(frozen=True)
class Option:
    """One option as `reportgen config` shows it: effective value, default and origin."""

    key: str
    value: Any
    default: Any
    origin: str  # default | file | env | flag
    doc: str

    @property
    def shown(self) -> Any:
        """The value fit to print: secrets are never shown, only whether they are set."""
        if self.key in SECRETS and self.value:
            return "(set)"
        return self.value


def describe(config: Config | None = None) -> list[Option]:
    """Every option with its effective value and where it came from (docs, `config`)."""
    config = config or Config()
    rows = []
    for name, cls in _SECTIONS.items():
        for f in fields(cls):
            key = f"{name}.{f.name}"
            default = f.default_factory() if f.default is MISSING else f.default
            rows.append(Option(key, getattr(getattr(config, name), f.name), default,
                               config.origins.get(key, "default"), f.metadata["doc"]))
    return rows
