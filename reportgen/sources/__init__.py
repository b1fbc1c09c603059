"""Sources: fill the store. A registry by name keeps adding a source a few lines of code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from reportgen.catalog import Catalog
from reportgen.config import Config
from reportgen.errors import ConfigError
from reportgen.store import Provenance, Store

Loader = Callable[[Config, Store], None]


def _load_sample(config: Config, store: Store) -> None:
    """Bundled synthetic sample: every catalog series, deterministic, flagged as sample."""
    from reportgen.sources.sample import generate_sample, sample_tables

    stamp = dt.datetime(2026, 11, 20, 22, 0, tzinfo=dt.UTC)
    prov = Provenance(source="sample", fetched_at=stamp, sample=True)
    for sid, values in generate_sample().items():
        if sid in store.catalog.indicators:
            store.put_series(sid, values, prov)
    for name, table in sample_tables().items():
        store.put_table(name, table, prov)


LOADERS: dict[str, Loader] = {"sample": _load_sample}


def gather(config: Config, catalog: Catalog) -> Store:
    """Build the store from the configured source."""
    try:
        loader = LOADERS[config.data.source]
    except KeyError:
        raise ConfigError(f"data.source: unknown source {config.data.source!r}; use one of "
                          + ", ".join(LOADERS)) from None
    store = Store(catalog)
    loader(config, store)
    return store
