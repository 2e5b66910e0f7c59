"""Point-in-time features for the cohort at one or more as-of dates, in catalogue order."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from features.blocks_money import income_features, spending_features
from features.blocks_people import member_features
from features.blocks_records import history_features, place_features, shock_features, signal_features
from features.catalogue import FEATURES, FEATURE_NAMES
from features.context import PreparedExport, as_of_context
from features.facts import Facts
from features.frames import frame_of

KEY_COLUMNS = ("household_id", "as_of")


def build_features(tables: dict[str, pd.DataFrame], as_of_dates: Iterable[pd.Timestamp],
                   progress: Callable[[Iterable], Iterable] | None = None,
                   prepared: PreparedExport | None = None, facts: Facts | None = None) -> pd.DataFrame:
    """One row per cohort household and as-of date: `household_id`, `as_of`, then the catalogue.

    Pure: `tables` (validated contract tables) are not modified. The work every date shares
    (household codes, sorted monthly amounts) is done once. `facts` (`features.facts`) are what
    the features need from outside the households' own records; without them they are computed
    from `tables`, which is right only when `tables` is the whole export. A chunk of households
    gets the facts of the whole export and then the same values as in the whole county.
    """
    prepared = prepared if prepared is not None else PreparedExport.prepare(tables)
    dates = [pd.Timestamp(d) for d in as_of_dates]
    facts = facts if facts is not None else Facts.from_tables(tables, dates)
    frames = [features_as_of(prepared, as_of, facts) for as_of in (progress(dates) if progress else dates)]
    return pd.concat(frames, ignore_index=True) if frames else empty_features()


def features_as_of(prepared: PreparedExport, as_of: pd.Timestamp, facts: Facts) -> pd.DataFrame:
    ctx = as_of_context(prepared, as_of, facts)
    values = income_features(ctx)
    household_income_12m = values.pop("_household_income_12m")
    values.update(spending_features(ctx, household_income_12m))
    values.update(member_features(ctx))
    values.update(shock_features(ctx))
    values.update(signal_features(ctx, values["assessed_income_pc_12m"]))
    values.update(history_features(ctx))
    values.update(place_features(ctx))
    rows = {"household_id": ctx.households["household_id"],
            "as_of": np.full(len(ctx.codes), np.datetime64(ctx.as_of, "us"))}
    for feature in FEATURES:
        rows[feature.name] = values[feature.name][ctx.codes]
    return _finalized(rows, len(ctx.codes))


def finalize(frame: pd.DataFrame) -> pd.DataFrame:
    """Catalogue dtypes and imputation rules, columns in catalogue order."""
    return _finalized({name: frame[name].to_numpy() for name in (*KEY_COLUMNS, *FEATURE_NAMES)}, len(frame))


def _finalized(columns: dict[str, np.ndarray], n: int) -> pd.DataFrame:
    out = {"household_id": pd.array(columns["household_id"], dtype="str"),
           "as_of": np.asarray(columns["as_of"]).astype("datetime64[us]")}
    for feature in FEATURES:
        values = np.asarray(columns[feature.name])
        if feature.dtype == "bool":
            out[feature.name] = (values if values.dtype == bool
                                 else pd.Series(values).fillna(False).to_numpy().astype(bool))
            continue
        column = np.asarray(values, dtype="float64")
        if feature.imputation == "zero":
            column = np.where(np.isnan(column), 0.0, column)
            out[feature.name] = column.astype("int64") if feature.dtype == "int" else column
        else:
            out[feature.name] = column
    return frame_of({name: out[name] for name in (*KEY_COLUMNS, *FEATURE_NAMES)}, n)


def empty_features() -> pd.DataFrame:
    return finalize(pd.DataFrame({"household_id": pd.Series(dtype="str"), "as_of": pd.Series(dtype="datetime64[us]"),
                                  **{f.name: pd.Series(dtype="float64") for f in FEATURES}}))
