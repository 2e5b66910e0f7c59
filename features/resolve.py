"""Versions and source conflicts of income and expenditures, resolved as the contract documents.

For each household, month and source (or category): the row from the highest-precedence
`data_source` (department over survey over self_report); within a data source the latest
`recorded_at` (on a tie, the later row in the file); a quarter row counts a third in each month.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import DATA_SOURCE_PRECEDENCE

MONTH_DTYPE = "datetime64[us]"


def spread_to_months(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per covered month: `month` (first day) and `amount_yuan` split evenly."""
    start = rows["period_start"].dt.to_period("M")
    end = rows["period_end"].dt.to_period("M")
    months_covered = (end.astype("int64") - start.astype("int64") + 1).to_numpy()
    repeat_index = np.repeat(np.arange(len(rows)), months_covered)
    offsets = np.arange(len(repeat_index)) - np.repeat(np.cumsum(months_covered) - months_covered, months_covered)
    spread = rows.iloc[repeat_index].copy()
    first_month = rows["period_start"].to_numpy().astype("datetime64[M]")[repeat_index]
    spread["month"] = (first_month + offsets.astype("timedelta64[M]")).astype(MONTH_DTYPE)
    spread["amount_yuan"] = spread["amount_yuan"].to_numpy() / months_covered[repeat_index]
    spread["file_order"] = repeat_index
    return spread.reset_index(drop=True)


def resolve_monthly(rows: pd.DataFrame, item_column: str, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    """The winning row per household, month and `item_column` among rows known before `as_of`.

    Returns household_id, month, the item column, amount_yuan and the winning data_source and
    recorded_at. Pure: `rows` is not modified.
    """
    known = rows if as_of is None else rows[rows["recorded_at"] < pd.Timestamp(as_of)]
    spread = spread_to_months(known)
    rank = pd.Categorical(spread["data_source"].astype("str"), categories=list(DATA_SOURCE_PRECEDENCE)).codes
    spread["precedence_rank"] = rank
    ordered = spread.sort_values(
        ["household_id", "month", item_column, "precedence_rank", "recorded_at", "file_order"],
        ascending=[True, True, True, True, False, False], kind="stable",
    )
    winners = ordered.drop_duplicates(["household_id", "month", item_column], keep="first")
    columns = ["household_id", "month", item_column, "amount_yuan", "data_source", "recorded_at"]
    return winners[columns].reset_index(drop=True)
