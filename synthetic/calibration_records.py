"""Figures about what the records know and when: assessed months, the age of the latest
assessment, the error of assessed income, and recording lags (domain.md, "How records really
arrive"). Every function takes a `Simulation` and reads only `sim.tables`, `sim.truth` and
`sim.exported_at`."""
from __future__ import annotations

import numpy as np
import pandas as pd

# a month's autumn assessment is entered at the latest in the January 16 months after it
# (October of one year is assessed in the December check of the next, entered by 20 January)
MONTHS_FOR_ASSESSMENT_TO_ARRIVE = 16


def _month_number(values: pd.Series) -> np.ndarray:
    values = pd.to_datetime(values)
    return (values.dt.year * 12 + values.dt.month - 1).to_numpy(dtype=np.int64)


def survey_rows(sim) -> pd.DataFrame:
    income = sim.tables["income"]
    return income[income["data_source"] == "survey"]


def survey_months(sim) -> pd.DataFrame:
    """household_id, month (month number), first_known (seconds): when each household's month was
    first known to be assessed by a survey row."""
    rows = survey_rows(sim)
    first, last = _month_number(rows["period_start"]), _month_number(rows["period_end"])
    length = last - first + 1
    position = np.repeat(np.arange(len(rows)), length)
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    known = rows["recorded_at"].to_numpy("datetime64[s]").astype(np.int64)
    months = pd.DataFrame({"household_id": rows["household_id"].to_numpy()[position],
                           "month": first[position] + offset, "first_known": known[position]})
    return months.groupby(["household_id", "month"], as_index=False)["first_known"].min()


def _types(sim) -> pd.Series:
    return sim.truth["households"].set_index("household_id")["type"]


def assessed_month_share(sim) -> pd.Series:
    """Share of household-months (truth) covered by a survey row, by household type, over the
    months whose autumn assessment has had time to arrive before the export."""
    hm = sim.truth["household_month"][["household_id", "month"]]
    last = _month_number(pd.Series([sim.exported_at]))[0] - MONTHS_FOR_ASSESSMENT_TO_ARRIVE
    hm = hm.assign(month=_month_number(hm["month"]))
    hm = hm[hm["month"] <= last]
    assessed = survey_months(sim)[["household_id", "month"]].assign(assessed=True)
    joined = hm.merge(assessed, on=["household_id", "month"], how="left")
    return joined["assessed"].notna().groupby(joined["household_id"].map(_types(sim))).mean()


def latest_run_ages(sim) -> pd.DataFrame:
    """At the first day of each data month D: for every household with one, the months from the
    last month of its latest run of 12 assessed months known at D (ending before D's month) to
    D's month. household_id, as_of, age_months."""
    months = survey_months(sim)
    first_month = int(months["month"].min())
    data_months = np.unique(_month_number(sim.truth["household_month"]["month"]))
    width = int(data_months.max()) - first_month + 1
    households, position = np.unique(months["household_id"].to_numpy(), return_inverse=True)
    known = np.full((households.size, width), np.iinfo(np.int64).max)
    known[position, months["month"].to_numpy() - first_month] = months["first_known"].to_numpy()
    parts = []
    for as_of_month in data_months[1:]:
        as_of = pd.Timestamp(year=int(as_of_month // 12), month=int(as_of_month % 12) + 1, day=1)
        before = known[:, : as_of_month - first_month] < int(as_of.value // 10**9)
        ends = _latest_run_end(before, 12)
        has = ends >= 0
        parts.append(pd.DataFrame({"household_id": households[has], "as_of": as_of,
                                   "age_months": (as_of_month - first_month) - ends[has]}))
    return pd.concat(parts, ignore_index=True)


def _latest_run_end(assessed: np.ndarray, run: int) -> np.ndarray:
    """Column of the last month of the latest run of `run` True months per row, -1 when none."""
    if assessed.shape[1] < run:
        return np.full(assessed.shape[0], -1)
    total = np.cumsum(np.c_[np.zeros(assessed.shape[0], dtype=np.int64), assessed], axis=1)
    full = (total[:, run:] - total[:, :-run]) == run          # run ending at column run-1+j
    latest = full.shape[1] - 1 - np.argmax(full[:, ::-1], axis=1)
    return np.where(full.any(axis=1), latest + run - 1, -1)


def median_assessment_age(sim) -> pd.Series:
    ages = latest_run_ages(sim)
    return ages["age_months"].groupby(ages["household_id"].map(_types(sim))).median()


def autumn_assessment_errors(sim) -> pd.Series:
    """Log error of the 12-month income of the autumn checks' assessments (survey rows entered
    with a visit in October-December) against the true income over the same months."""
    rows = survey_rows(sim)
    forms = (rows.groupby(["household_id", "recorded_at"])
             .agg(assessed=("amount_yuan", "sum"), first=("period_start", "min"), last=("period_end", "max"))
             .reset_index())
    visits = sim.tables["visits"]
    autumn = visits[visits["visited_on"].dt.month >= 10][["household_id", "recorded_at"]]
    forms = forms.merge(autumn, on=["household_id", "recorded_at"])
    forms["first"], forms["last"] = _month_number(forms["first"]), _month_number(forms["last"])
    forms = forms[forms["last"] - forms["first"] == 11]
    hm = sim.truth["household_month"]
    true = hm.assign(month=_month_number(hm["month"])).pivot(index="household_id", columns="month",
                                                             values="income_month_true")
    true = true.reindex(columns=range(int(true.columns.min()), int(true.columns.max()) + 1))
    inside = (forms["first"] >= true.columns.min()) & (forms["last"] <= true.columns.max())
    forms = forms[inside & forms["household_id"].isin(true.index)]
    cumulative = np.c_[np.zeros(len(true)), np.nancumsum(true.to_numpy(), axis=1)]
    row = true.index.get_indexer(forms["household_id"])
    start = (forms["first"] - true.columns.min()).to_numpy()
    true_total = cumulative[row, start + 12] - cumulative[row, start]
    valid = (true_total > 0) & (forms["assessed"].to_numpy() > 0)
    return pd.Series(np.log(forms["assessed"].to_numpy()[valid] / true_total[valid]))


def assessment_entry_days(sim) -> float:
    """Median days from the end of an assessed 12-month window to its entry."""
    rows = survey_rows(sim)
    forms = rows.groupby(["household_id", "recorded_at"]).agg(first=("period_start", "min"), last=("period_end", "max"))
    forms = forms.reset_index()
    year_long = _month_number(forms["last"]) - _month_number(forms["first"]) == 11
    forms = forms[year_long]
    return float(((forms["recorded_at"] - forms["last"]).dt.total_seconds() / 86_400).median())


def medical_known_by_fifth(sim) -> float:
    """Share of medical-insurance rows known by the 5th of the month after the month they cover."""
    spending = sim.tables["expenditures"]
    medical = spending[spending["category"].isin(["medical_total", "medical_oop"])
                       & (spending["data_source"] == "department")]
    return float((medical["recorded_at"] < medical["period_end"] + pd.Timedelta(days=6)).mean())


def recording_lags(sim) -> pd.DataFrame:
    """Days from the fact to recorded_at, by data source: income months reported by departments
    and self-reports, expenditures, events, and visits (a survey's fact is its visit; an
    assessment's rows cover months long past, see `assessment_entry_days`)."""
    income = sim.tables["income"]
    income = income[income["data_source"] != "survey"]
    visits = sim.tables["visits"].assign(data_source="survey")
    parts = []
    for frame, fact in ((income, "period_end"), (sim.tables["expenditures"], "period_end"),
                        (sim.tables["events"], "occurred_on"), (visits, "visited_on")):
        parts.append(pd.DataFrame({"data_source": frame["data_source"],
                                   "lag": (frame["recorded_at"] - frame[fact]).dt.total_seconds() / 86_400}))
    lags = pd.concat(parts)
    return lags.groupby("data_source")["lag"].describe(percentiles=[0.05, 0.5, 0.95])[["count", "5%", "50%", "95%"]]


def record_rows(sim) -> list[tuple]:
    """(figure, value, low, high) rows of the calibration table about what the records know and
    when, with the basis of each range (domain.md, "How records really arrive"):
    - formerly poor households are assessed once a year over October-September, a few missed in a
      given year [S, E]; ordinary households only when the spring screen flags them or they become
      a case [S, inference], a small minority [E];
    - an autumn assessment ends in September and is entered in October-January, so it is 2-15
      months old at a random date, median about 9 [D]; a spring one ends in April and is entered
      by 5 June, 2-13 months old when renewed yearly, older when a household is flagged once [D];
    - a household total assessed on a visit: log error sd 0.35-0.45 [E]; farm and business
      income (a tenth to a quarter of it) 10-25% low gives a mean log error of about -0.01 to
      -0.07, figures near the line lean upward a little [D];
    - window end to entry: October-December visits of a window ending in September, entered by
      the 20th of the month after; spring visits entered by 5 June; identification within weeks [D];
    - medical insurance pushes by the 5th of the month after, later for bills reimbursed by hand [S, E].
    """
    assessed, age, errors = assessed_month_share(sim), median_assessment_age(sim), autumn_assessment_errors(sim)
    return [
        ("household-months assessed, ex_poor", assessed.get("ex_poor", np.nan), 0.85, 0.99),
        ("household-months assessed, ordinary", assessed.get("ordinary", np.nan), 0.02, 0.15),
        ("median months since latest 12-month assessment, ex_poor", age.get("ex_poor", np.nan), 6, 12),
        ("median months since latest 12-month assessment, ordinary", age.get("ordinary", np.nan), 4, 18),
        ("log-error sd of assessed 12-month income (autumn)", float(errors.std()), 0.35, 0.45),
        ("mean log error of assessed 12-month income (autumn)", float(errors.mean()), -0.09, 0.01),
        ("median days from assessed window end to entry", assessment_entry_days(sim), 20, 110),
        ("medical-insurance rows known by the 5th of the month after", medical_known_by_fifth(sim), 0.75, 0.95),
    ]
