"""The exceptions reportgen raises, each carrying what the user must fix.

    ReportgenError                 base; the CLI prints str(err) on one line, exits non-zero
    +-- ConfigError                a bad config file, option or flag value
    +-- CatalogError               a bad indicator, event or chart catalog entry
    +-- SourceError                data could not be had
    |   +-- RateLimitedError       the source said 429 / too many requests
    |   +-- SourceUnavailableError timeouts, connection refused, 5xx, too slow an answer
    |   +-- RetiredSeriesError     the source says the series does not exist (any more)
    |   +-- ResponseTooLargeError  an answer larger than data.max_response_mb
    |   +-- StoreDamagedError      the store's file is corrupt
    |   +-- MalformedDataError     the answer or file was not what it should be
    |       +-- ImplausibleDataError  a value outside the series' plausible bounds
    |       +-- TruncatedAnswerError  an answer lacking observations already stored
    +-- RenderError                a template, chart or PDF could not be produced
    +-- PublishError               outputs could not be written
    +-- PartialDataError           `run --strict`: some series failed, nothing was written

`exit_code` is what the command line returns (the README's "Exit codes" table); `failure`
is how a series' failed fetch is recorded in the store and named in the report.
"""

from __future__ import annotations


class ReportgenError(Exception):
    """Base class: the message is complete and fit for one line of output."""

    exit_code = 1
    failure = "failed"


class ConfigError(ReportgenError):
    exit_code = 2


class CatalogError(ReportgenError):
    exit_code = 2


class SourceError(ReportgenError):
    exit_code = 3


class RateLimitedError(SourceError):
    failure = "unreachable"


class SourceUnavailableError(SourceError):
    failure = "unreachable"


class RetiredSeriesError(SourceError):
    failure = "retired"


class ResponseTooLargeError(SourceError):
    failure = "malformed"


class StoreDamagedError(SourceError):
    pass


class MalformedDataError(SourceError):
    failure = "malformed"


class ImplausibleDataError(MalformedDataError):
    failure = "implausible"


class TruncatedAnswerError(MalformedDataError):
    failure = "truncated"


class RenderError(ReportgenError):
    exit_code = 4


class PublishError(ReportgenError):
    exit_code = 5


class PartialDataError(ReportgenError):
    exit_code = 6
