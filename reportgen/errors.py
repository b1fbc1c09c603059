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
    +-- PublishError               outputs could not be written, or a published issue
                                   does not match its manifest
    +-- PartialDataError           `run --strict`: some series failed, nothing was written

`exit_code` is what the command line returns; `failure` is how a series' failed fetch is
recorded in the store and named in the report. Exit codes (the README lists them too):

    0    done
    1    any other failure; `send`: some addresses were refused for good (5xx)
    2    bad config, option, flag or date (ConfigError, CatalogError; usage errors);
         `send` with no recipients
    3    data could not be had (SourceError)
    4    a template, chart or PDF could not be produced (RenderError)
    5    outputs could not be written, or an issue does not match its manifest
    6    `run --strict`: some series failed this run; nothing was written
    75   `send`: some deliveries were deferred by the server (4xx); run `send` again later
    130  interrupted by SIGINT (Ctrl-C): nothing was published
    143  stopped by SIGTERM: nothing was published
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


class Terminated(KeyboardInterrupt):
    """SIGTERM, unwound exactly like Ctrl-C: staging removed, nothing half-published."""


# Exit codes that are not an error class's: see the table above.
EXIT_DEFERRED = 75
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143
