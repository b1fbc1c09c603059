"""The store: every observation the report may use, read as known on a given date.

This first store keeps observations in memory, loaded by the sources stage at start-up.
Reads are point in time: an observation counts as known once its period has ended and its
usual publication lag (from the indicator catalog) has passed, so a report built for a past
date sees no data that had not been published yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pandas as pd

from reportgen.catalog import Catalog, Indicator

_PERIOD_END = {
    "monthly": pd.offsets.MonthEnd(0),
    "quarterly": pd.offsets.QuarterEnd(0),
}


@dataclass(frozen=True)
class Provenance:
    """Where a series came from, for the appendix and stale/sample flags."""

    source: str
    fetched_at: dt.datetime
    sample: bool


def known_by(index: pd.DatetimeIndex, indicator: Indicator) -> pd.DatetimeIndex:
    """The date each observation became public: period end plus the release lag."""
    offset = _PERIOD_END.get(indicator.frequency)
    ends = index + offset if offset is not None else index
    return ends + pd.Timedelta(days=indicator.release_lag_days)


class Store:
    """Series and tables with their provenance."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._series: dict[str, pd.Series] = {}
        self._tables: dict[str, pd.DataFrame] = {}
        self._provenance: dict[str, Provenance] = {}

    def put_series(self, series_id: str, values: pd.Series, provenance: Provenance) -> None:
        self.catalog.indicator(series_id)  # unknown ids fail here, naming the id
        clean = values.dropna().astype("float64").sort_index()
        self._series[series_id] = clean[~clean.index.duplicated(keep="last")]
        self._provenance[series_id] = provenance

    def put_table(self, name: str, table: pd.DataFrame, provenance: Provenance) -> None:
        self._tables[name] = table
        self._provenance[name] = provenance

    def provenance(self, name: str) -> Provenance | None:
        return self._provenance.get(name)

    def series_ids(self) -> list[str]:
        return sorted(self._series)

    def snapshot(self, as_of: dt.date) -> Snapshot:
        """All series and tables as known on `as_of`."""
        cutoff = pd.Timestamp(as_of)
        series = {}
        for sid, values in self._series.items():
            mask = known_by(values.index, self.catalog.indicator(sid)) <= cutoff
            series[sid] = values[mask]
        tables = {}
        for name, table in self._tables.items():
            tables[name] = table[table["date"] <= cutoff] if "date" in table else table
        return Snapshot(as_of=as_of, series=series, tables=tables,
                        indicators=self.catalog.indicators,
                        sample=any(p.sample for p in self._provenance.values()))


@dataclass(frozen=True)
class Snapshot(Mapping[str, pd.Series]):
    """What the signals stage sees: read-only series and tables as of one date."""

    as_of: dt.date
    series: dict[str, pd.Series]
    tables: dict[str, pd.DataFrame]
    indicators: dict[str, Indicator]
    sample: bool

    def __getitem__(self, key: str) -> pd.Series:
        return self.series.get(key, pd.Series(dtype="float64", name=key,
                                              index=pd.DatetimeIndex([], name="date")))

    def __iter__(self) -> Iterator[str]:
        return iter(self.series)

    def __len__(self) -> int:
        return len(self.series)

    def usd_bn(self, key: str) -> pd.Series:
        """A dollar series in billions whatever unit the source publishes it in."""
        scale = {"usd_mn": 1e-3, "usd_bn": 1.0, "usd": 1e-9}[self.indicators[key].units]
        return self[key] * scale

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)

    def data_as_of(self) -> dt.date | None:
        """The latest observation date across all series: the report's data cut-off."""
        last = [s.index[-1] for s in self.series.values() if len(s)]
        return max(last).date() if last else None
