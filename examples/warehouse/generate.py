"""Generate tickets.parquet for the warehouse example (fixed seed; run from anywhere).

    python examples/warehouse/generate.py

Two years of closed support tickets, one row each: the shape of a fact table in a data
warehouse. kpis.yaml reads it through DuckDB (no server), and the same file loaded into
PostgreSQL or a DuckDB database gives the same report (see README, "Data in a database").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2026
HERE = Path(__file__).resolve().parent


def tickets(rows: int = 24_000) -> pd.DataFrame:
    rng = np.random.default_rng(SEED)
    start = pd.Timestamp("2024-11-01 08:00")
    minutes = np.sort(rng.integers(0, 730 * 24 * 60, rows))
    closed = start + pd.to_timedelta(minutes, unit="min")
    team = rng.choice(np.array(["North", "South", "West"], dtype=object), rows, p=[0.4, 0.35, 0.25])
    channel = rng.choice(np.array(["email", "phone", "chat"], dtype=object), rows, p=[0.5, 0.3, 0.2])
    # Resolution improves over the two years; phone is fastest.
    progress = minutes / minutes.max()
    base = np.where(channel == "phone", 6.0, np.where(channel == "chat", 9.0, 14.0))
    hours = np.round(base * (1.15 - 0.3 * progress) * rng.lognormal(0.0, 0.5, rows), 1)
    answered = rng.random(rows) < 0.35
    csat = np.where(answered, np.clip(np.round(rng.normal(4.1 + 0.3 * progress, 0.8)), 1, 5), np.nan)
    cost = np.round(8.0 + 0.9 * hours + rng.normal(0, 1.5, rows), 2)
    return pd.DataFrame(
        {
            "closed_at": closed,
            "team": team,
            "channel": channel,
            "resolution_hours": hours,
            "csat": csat,
            "cost_eur": cost,
        }
    )


def main() -> None:
    tickets().to_parquet(HERE / "tickets.parquet", index=False, compression="zstd")


if __name__ == "__main__":
    main()
