"""The exceptions reportgen raises, each carrying what the user must fix.

    ReportgenError                 base; the CLI prints str(err) on one line, exits non-zero
    +-- ConfigError                a bad config file, option or flag value
    +-- CatalogError               a bad indicator, event or chart catalog entry
    +-- SourceError                data could not be had
    |   +-- RateLimitedError       the source said 429 / too many requests
    |   +-- SourceUnavailableError timeouts, connection refused, 5xx
    |   +-- MalformedDataError     the answer or file was not what it should be
    +-- RenderError                a template, chart or PDF could not be produced
    +-- PublishError               outputs could not be written
"""

from __future__ import annotations


class ReportgenError(Exception):
    """Base class: the message is complete and fit for one line of output."""

    exit_code = 1


class ConfigError(ReportgenError):
    exit_code = 2


class CatalogError(ReportgenError):
    exit_code = 2


class SourceError(ReportgenError):
    exit_code = 3


class RateLimitedError(SourceError):
    pass


class SourceUnavailableError(SourceError):
    pass


class MalformedDataError(SourceError):
    pass


class RenderError(ReportgenError):
    exit_code = 4


class PublishError(ReportgenError):
    exit_code = 5
