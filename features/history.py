"""What was known about each household as of a date: latest versions, the cohort, present members.

Every function takes `as_of` explicitly and only uses rows with `recorded_at < as_of`; status
dates recorded on earlier rows (`eliminated_on`, `resolved_at`, `end_on`) count only once they
are before `as_of`. Nothing here reads files, the clock or the environment.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from features.repeats import factorized
from features.timeline import last_of_runs, moment


def known_before(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    return frame[frame["recorded_at"] < as_of]


def latest_versions(frame: pd.DataFrame, key: str | list[str], as_of: pd.Timestamp) -> pd.DataFrame:
    """The latest row per `key` (a column or several) known before `as_of` (on a tie, the later row
    in the file), in the order of the key."""
    return frame.take(latest_positions(frame, key, as_of)).reset_index(drop=True)


def latest_positions(frame: pd.DataFrame, key: str | list[str], as_of: pd.Timestamp) -> np.ndarray:
    """Positions of `latest_versions`' rows in `frame`, in the order of the key."""
    recorded = frame["recorded_at"].to_numpy()
    known = np.flatnonzero(recorded < moment(as_of))
    if not len(known):
        return known
    group = np.zeros(len(known), dtype=np.int64)
    for name in [key] if isinstance(key, str) else key:   # one number ordering rows as the key does
        codes, uniques = factorized(frame[name], known, sort=True)
        group = group * (len(uniques) + 1) + np.where(codes < 0, len(uniques), codes)  # missing last
    by_time = np.argsort(recorded[known], kind="stable")  # ties keep file order
    order = by_time[np.argsort(group[by_time], kind="stable")]
    return known[order[last_of_runs(group[order])]]


def villages_at(households: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """The village of each row's household (`household_id`, `as_of`) in its latest version known
    before the row's date; missing where none is."""
    out = pd.Series(pd.NA, index=rows.index, dtype="string")
    for as_of, group in rows.groupby("as_of", sort=False):
        latest = latest_versions(households, "household_id", pd.Timestamp(as_of))
        villages = latest.set_index(latest["household_id"].astype("str"))["village_code"].astype("string")
        out.loc[group.index] = group["household_id"].astype("str").map(villages).to_numpy()
    return out


def open_case_households(cases: pd.DataFrame, as_of: pd.Timestamp) -> pd.Index:
    """Households with a case known before `as_of`, identified before it and not yet eliminated."""
    now = moment(as_of)
    is_open = ((cases["recorded_at"].to_numpy() < now) & (cases["identified_on"].to_numpy() < now)
               & ~(cases["eliminated_on"].to_numpy() < now))   # not eliminated (NaT: never) before as_of
    return pd.Index(cases["household_id"].iloc[np.flatnonzero(is_open)].unique())


def cohort(households: pd.DataFrame, cases: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Latest household rows of the cohort at `as_of`: existing, and not an open monitoring case."""
    return cohort_of(latest_versions(households, "household_id", as_of), cases, as_of)


def cohort_of(latest_households: pd.DataFrame, cases: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """`cohort` from the latest household rows known at `as_of`, already at hand."""
    return latest_households[cohort_mask(latest_households, cases, as_of)].reset_index(drop=True)


def cohort_mask(latest_households, cases: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Which of the latest household rows (a frame, or `features.context.Rows`) are in the cohort
    at `as_of`: existing, and not an open monitoring case."""
    ids = pd.Index(np.asarray(latest_households["household_id"], dtype=object))
    return existing_mask(latest_households, as_of) & ~ids.isin(open_case_households(cases, as_of))


def existing_mask(latest_households, as_of: pd.Timestamp) -> np.ndarray:
    """Which of the latest household rows (a frame, or `Rows`) are not dissolved before `as_of`."""
    dissolved_on = np.asarray(latest_households["dissolved_on"], dtype="datetime64[us]")
    return np.isnat(dissolved_on) | (dissolved_on >= moment(as_of))


def present_members(members: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Latest known rows of the members in their household on the day before `as_of`."""
    return present_of(latest_versions(members, "person_id", as_of), as_of)


def present_of(latest_members: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """`present_members` from the latest member rows known at `as_of`, already at hand."""
    return latest_members[present_mask(latest_members, as_of)].reset_index(drop=True)


def present_mask(latest_members, as_of: pd.Timestamp) -> np.ndarray:
    """Which of the latest member rows (a frame, or `features.context.Rows`) are in their
    household on the day before `as_of`: joined before it, not left before it."""
    now = moment(as_of)
    joined_on = np.asarray(latest_members["joined_on"], dtype="datetime64[us]")
    left_on = np.asarray(latest_members["left_on"], dtype="datetime64[us]")
    return (joined_on < now) & (np.isnat(left_on) | (left_on >= now))


def ages(members, as_of: pd.Timestamp) -> np.ndarray:
    """Age in whole years reached in the as-of year (birth year is all the contract holds)."""
    return pd.Timestamp(as_of).year - np.asarray(members["birth_year"], dtype=np.int64)


def running_measures(assistance: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, set[str]]:
    """Per household, the assistance measures running at `as_of` as known then (started before it,
    not ended before it)."""
    now = moment(as_of)
    running = np.flatnonzero((assistance["recorded_at"].to_numpy() < now) & (assistance["start_on"].to_numpy() < now)
                             & ~(assistance["end_on"].to_numpy() < now))   # no end (NaT): still running
    out: dict[str, set[str]] = {}
    if not len(running):
        return out
    households = assistance["household_id"].iloc[running].astype("str").tolist()
    for household, measure in zip(households, assistance["measure"].iloc[running].astype("str").tolist()):
        out.setdefault(household, set()).add(measure)
    return out
