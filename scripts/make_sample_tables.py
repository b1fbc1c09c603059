"""Write the SYNTHETIC sample tables in reportgen/sources/sample_tables/ (deterministic).

constituents.csv: ~500 index members on one date. The ten largest carry real mega-cap
tickers with made-up caps that sum to about 40% of the index (the share the essay cites);
the tail follows a power law (Zipf exponent ~1.1) with synthetic names.
loan_marks.csv: twelve private-credit loans, each marked by three to five managers at
quarter ends 2024-2026; the managers' disagreement widens over time, and one loan ends
about 70 vs 90 cents on the dollar, as in the essay's example.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent.parent / "reportgen/sources/sample_tables"
DATE = "2026-11-20"
TOP10 = [("NVDA", "NVIDIA"), ("AAPL", "Apple"), ("MSFT", "Microsoft"), ("GOOGL", "Alphabet"),
         ("AMZN", "Amazon"), ("META", "Meta Platforms"), ("AVGO", "Broadcom"),
         ("TSLA", "Tesla"), ("BRKB", "Berkshire Hathaway"), ("JPM", "JPMorgan Chase")]


def constituents() -> pd.DataFrame:
    rng = np.random.default_rng(zlib.crc32(b"constituents"))
    tail_n = 493
    ranks = np.arange(11, 11 + tail_n)
    tail = 1100.0 * (ranks / 11.0) ** -1.1 * rng.lognormal(0, 0.15, tail_n)
    tail = np.sort(tail)[::-1]
    total_tail = tail.sum()
    top_total = total_tail * 0.40 / 0.60  # top ten = 40% of the whole
    weights = np.array([4.6, 4.1, 3.8, 3.3, 2.6, 1.9, 1.6, 1.3, 1.1, 0.9])
    top = top_total * weights / weights.sum()
    rows = [(DATE, t, n, round(c, 1)) for (t, n), c in zip(TOP10, top, strict=True)]
    rows += [(DATE, f"C{r:03d}", f"Company {r}", round(c, 1)) for r, c in zip(ranks, tail,
                                                                               strict=True)]
    return pd.DataFrame(rows, columns=["date", "ticker", "name", "market_cap_usd_bn"])


def loan_marks() -> pd.DataFrame:
    rng = np.random.default_rng(zlib.crc32(b"loan_marks"))
    quarters = pd.date_range("2024-03-31", "2026-09-30", freq="QE")
    borrowers = ["Apex Software", "Beacon Health", "Cobalt Logistics", "Delta Dental Group",
                 "Evergreen Foods", "Falcon Aerospace Parts", "Granite Data Centers",
                 "Harbor Insurance Services", "Ion Battery Systems", "Juniper Retail",
                 "Keystone Education", "Lumen Media"]
    managers = ["Manager A", "Manager B", "Manager C", "Manager D", "Manager E"]
    rows = []
    for i, borrower in enumerate(borrowers):
        fair = 97.0 - 2.5 * rng.random()
        n_mgr = 3 + i % 3
        drift = -1.0 - 3.0 * rng.random() if i in (2, 5, 9) else -0.3 * rng.random()
        for q_i, q in enumerate(quarters):
            fair_q = fair + drift * q_i
            spread = 1.0 + 0.6 * q_i * (1.6 if i in (2, 5, 9) else 0.25)
            for m in managers[:n_mgr]:
                mark = fair_q + rng.normal(0, spread / 2)
                if i == 5 and q == quarters[-1]:  # the essay's "70 vs 90" loan
                    mark = {"Manager A": 90.0, "Manager B": 70.0}.get(m, 80.0 + rng.normal(0, 2))
                rows.append((q.date().isoformat(), f"L{i + 1:02d}", borrower, m,
                             round(min(mark, 100.0), 1)))
    return pd.DataFrame(rows, columns=["date", "loan_id", "borrower", "manager", "mark"])


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    constituents().to_csv(OUT / "constituents.csv", index=False)
    loan_marks().to_csv(OUT / "loan_marks.csv", index=False)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
