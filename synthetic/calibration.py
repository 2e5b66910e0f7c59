"""Domain figures computed from a simulation, each against the range domain.md gives for it (for
income churn, estimates from rural panel studies such as CFPS [E]).

Every function takes a `Simulation` and reads only `sim.tables`, `sim.truth`, `sim.data_end` and
`sim.exported_at`. `calibration_table` gathers them into one printable frame; the figures about
what the records know and when are in `synthetic.calibration_records`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from synthetic import calibration_records as records
from synthetic.calibration_records import recording_lags


MEDIAN_INCOME_EX_POOR_2021 = 12_550.0
DOMAIN_INCOME_GROWTH = 0.09


def data_start(sim) -> pd.Timestamp:
    return sim.truth["household_month"]["month"].min()


def _full_years(sim) -> list[int]:
    months = sim.truth["household_month"]["month"].drop_duplicates()
    counts = months.dt.year.value_counts()
    return sorted(int(y) for y, n in counts.items() if n == 12)


def _household_types(sim) -> pd.Series:
    return sim.truth["households"].set_index("household_id")["type"]


def new_cases(sim) -> pd.DataFrame:
    cases = sim.tables["cases"]
    return cases[cases["identified_on"] >= data_start(sim)]


def new_case_rates(sim) -> pd.DataFrame:
    """Cases identified in each full data year per household existing in January, by type."""
    hm = sim.truth["household_month"]
    cases = new_cases(sim).assign(year=lambda f: f["identified_on"].dt.year,
                                  type=lambda f: f["household_id"].map(_household_types(sim)))
    rows = []
    for year in _full_years(sim):
        present = hm[hm["month"] == pd.Timestamp(year=year, month=1, day=1)]["household_id"]
        types = present.map(_household_types(sim)).value_counts()
        counted = cases[cases["year"] == year]["type"].value_counts()
        for kind, households in types.items():
            rows.append({"year": year, "type": kind, "households": int(households),
                         "cases": int(counted.get(kind, 0)), "rate": counted.get(kind, 0) / households})
    return pd.DataFrame(rows)


def illness_share(sim) -> float:
    codes = new_cases(sim)["risk_codes"].str.split(";")
    return float(codes.map(lambda c: "illness" in c).mean())


def category_mix(sim) -> pd.Series:
    return new_cases(sim)["category"].value_counts(normalize=True)


def _yearly_income_pc(sim) -> pd.DataFrame:
    """True per-capita income of each full data year (income over the mean members present), for
    households present all twelve months: household_id, year, type, income_pc."""
    hm = sim.truth["household_month"]
    yearly = (hm.assign(year=hm["month"].dt.year)
              .groupby(["household_id", "year"])
              .agg(income=("income_month_true", "sum"), members=("members_present", "mean"),
                   months=("month", "size")))
    yearly = yearly[(yearly["months"] == 12) & (yearly["members"] > 0)].reset_index()
    yearly = yearly[yearly["year"].isin(_full_years(sim))]
    return yearly.assign(type=yearly["household_id"].map(_household_types(sim)),
                         income_pc=yearly["income"] / yearly["members"])[["household_id", "year", "type", "income_pc"]]


def median_income_ex_poor(sim) -> pd.DataFrame:
    """Median yearly per-capita income (true income over the mean members present) of formerly
    poor households present all year."""
    yearly = _yearly_income_pc(sim)
    yearly = yearly[yearly["type"] == "ex_poor"]
    rows = []
    for year in _full_years(sim):
        median = float(yearly.loc[yearly["year"] == year, "income_pc"].median())
        target = MEDIAN_INCOME_EX_POOR_2021 * (1 + DOMAIN_INCOME_GROWTH) ** (year - 2021)
        rows.append({"year": year, "median": round(median), "target": round(target), "ratio": median / target})
    return pd.DataFrame(rows)


def income_log_sd(sim, household_type: str = "ex_poor") -> pd.Series:
    """Spread (sd of log) of true yearly per-capita income across households, by full data year."""
    yearly = _yearly_income_pc(sim)
    yearly = yearly[(yearly["type"] == household_type) & (yearly["income_pc"] > 0)]
    return np.log(yearly["income_pc"]).groupby(yearly["year"]).std()


def income_year_on_year_correlation(sim, household_type: str = "ex_poor") -> float:
    """Correlation of log true yearly per-capita income of the same household in year t and t+1,
    averaged over the pairs of consecutive full data years."""
    yearly = _yearly_income_pc(sim)
    yearly = yearly[(yearly["type"] == household_type) & (yearly["income_pc"] > 0)]
    wide = np.log(yearly.pivot(index="household_id", columns="year", values="income_pc"))
    pairs = [(y, y + 1) for y in wide.columns if y + 1 in wide.columns]
    return float(np.mean([wide[[a, b]].dropna().corr().iloc[0, 1] for a, b in pairs])) if pairs else float("nan")


def december_transitions(sim) -> pd.DataFrame:
    """From each December with twelve data months after it: every household's true 12-month
    income-to-line ratio then, whether it is above the line twelve months later, and whether it is
    below the line at any month end in the twelve months after (households there at both ends)."""
    hm = sim.truth["household_month"]
    ratio = (hm.assign(ratio=hm["income_pc_12m_true"] / hm["line_yuan"])
             .pivot(index="household_id", columns="month", values="ratio"))
    below = hm.pivot(index="household_id", columns="month", values="below_line")
    parts = []
    for start in [m for m in ratio.columns if m.month == 12]:
        ahead = [start + pd.DateOffset(months=k) for k in range(1, 13)]
        if ahead[-1] not in ratio.columns:
            continue
        there = ratio[start].notna() & ratio[ahead[-1]].notna()
        parts.append(pd.DataFrame({
            "december": start, "ratio": ratio.loc[there, start],
            "above_after_12": ratio.loc[there, ahead[-1]] >= 1.0,
            "below_within_12": below.loc[there, ahead].eq(True).any(axis=1),
        }).rename_axis("household_id").reset_index())
    columns = ["household_id", "december", "ratio", "above_after_12", "below_within_12"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def line_churn(sim) -> pd.Series:
    """One-year churn across the line, from each December: of the households below the line, the
    share above it twelve months later; of those at 1.0-1.3 times the line, the share below it at
    some month end in the next twelve months."""
    moves = december_transitions(sim)
    below = moves[moves["ratio"] < 1.0]
    near = moves[(moves["ratio"] >= 1.0) & (moves["ratio"] < 1.3)]
    return pd.Series({"below_to_above": float(below["above_after_12"].mean()), "below_n": len(below),
                      "near_to_below": float(near["below_within_12"].mean()), "near_n": len(near)})


def alert_identified_share(sim) -> float:
    outcome = sim.tables["alerts"]["outcome"].dropna()
    return float((outcome == "identified").mean())


def risk_entries(sim, months_needed_after: int = 0) -> pd.DataFrame:
    """Household-months entering real risk (truth): at risk this month and the next, not at risk
    and not a case the month before."""
    hm = sim.truth["household_month"].sort_values(["household_id", "month"])
    same = hm["household_id"].eq(hm["household_id"].shift())
    prev_risk = hm["at_risk"].shift().where(same)
    prev_case = hm["in_case"].shift().where(same)
    same_next = hm["household_id"].eq(hm["household_id"].shift(-1))
    next_risk = hm["at_risk"].shift(-1).where(same_next)
    entry = hm["at_risk"] & (prev_risk == False) & (prev_case == False) & (next_risk == True)  # noqa: E712
    entries = hm[entry]
    last_month = hm["month"].max() - pd.DateOffset(months=months_needed_after)
    return entries[entries["month"] <= last_month]


def detection_within_3_months(sim) -> float:
    """Share of real-risk entries with a case identified by the end of the third month after."""
    entries = risk_entries(sim, months_needed_after=4)[["household_id", "month"]]
    cases = sim.tables["cases"][["household_id", "identified_on"]]
    joined = entries.merge(cases, on="household_id", how="left")
    window_end = joined["month"] + pd.DateOffset(months=4)
    hit = (joined["identified_on"] >= joined["month"] - pd.Timedelta(days=31)) & (joined["identified_on"] < window_end)
    return float(hit.groupby([joined["household_id"], joined["month"]]).any().mean())


def elimination_within_year(sim) -> float:
    cases = sim.tables["cases"]
    old = cases[cases["identified_on"] <= sim.data_end - pd.Timedelta(days=365)]
    within = old["eliminated_on"].notna() & (old["eliminated_on"] <= old["identified_on"] + pd.Timedelta(days=365))
    return float(within.mean())


def reentry_share(sim) -> float:
    """Share of households with an eliminated case that later get a new case."""
    cases = sim.tables["cases"]
    eliminated = cases.dropna(subset=["eliminated_on"]).groupby("household_id")["eliminated_on"].min()
    later = cases.assign(first_elim=cases["household_id"].map(eliminated)).dropna(subset=["first_elim"])
    reentered = later[later["identified_on"] > later["first_elim"]]["household_id"].nunique()
    return reentered / max(len(eliminated), 1)


def assistance_effect(sim) -> pd.Series:
    """Risk entries that last at least 4 months: those supported within the 4 months vs comparable
    ones not supported, share at risk 12 months after entry, weighted to the same mix of type,
    risk kind and income-to-line band."""
    hm = sim.truth["household_month"].sort_values(["household_id", "month"])
    group = hm.groupby("household_id")
    lasting = sum(group["at_risk"].shift(-k).fillna(False).astype(bool) for k in range(0, 4)) == 4
    entries = risk_entries(sim, months_needed_after=12)
    entries = entries[lasting.loc[entries.index]]
    ahead_supported = sum(group["supported"].shift(-k).fillna(False).astype(bool) for k in range(0, 4)) > 0
    at_risk_later = group["at_risk"].shift(-12)
    frame = hm.loc[entries.index].assign(supported_soon=ahead_supported.loc[entries.index],
                                         later=at_risk_later.loc[entries.index])
    frame = frame.dropna(subset=["later"])
    frame["type"] = frame["household_id"].map(_household_types(sim))
    frame["band"] = pd.cut(frame["income_pc_12m_true"] / frame["line_yuan"], [0, 0.7, 0.9, 1.0, 1.2, 1.5, np.inf])
    rate_band = pd.cut(frame["income_rate_pc_true"] / frame["line_yuan"], [-np.inf, 0.6, 0.9, 1.1, np.inf])
    frame["stratum"] = (frame["type"] + "/" + frame["risk_state"] + "/" + frame["band"].astype(str)
                        + "/" + rate_band.astype(str))
    rates = frame.groupby(["stratum", "supported_soon"])["later"].mean().unstack()
    sizes = frame.groupby(["stratum", "supported_soon"]).size().unstack()
    both = rates.dropna() if {True, False} <= set(rates.columns) else rates.iloc[:0].assign(**{"True": [], "False": []})
    weight = sizes.loc[both.index].min(axis=1)
    return pd.Series({
        "supported_relapse": float((both[True] * weight).sum() / weight.sum()),
        "unsupported_relapse": float((both[False] * weight).sum() / weight.sum()),
        "entries_supported": int(sizes.get(True, pd.Series(dtype=float)).sum()),
        "entries_unsupported": int(sizes.get(False, pd.Series(dtype=float)).sum()),
    })


def assistance_effect_twin(sim, twin) -> pd.Series:
    """What assistance does to the households that got it: risk entries supported within 4 months,
    share at risk 12 months after entry here and, for the very same households and months, in a
    twin county simulated with the same seed where measures are opened but change nothing
    (`SimulationConfig(assistance_works=False)`). Same people, same shocks; only the help differs."""
    hm = sim.truth["household_month"].sort_values(["household_id", "month"])
    group = hm.groupby("household_id")
    entries = risk_entries(sim, months_needed_after=12)
    soon = sum(group["supported"].shift(-k).fillna(False).astype(bool) for k in range(0, 4)) > 0
    supported = hm.loc[entries.index[soon.loc[entries.index].to_numpy()], ["household_id", "month"]]
    supported = supported.assign(later=supported["month"] + pd.DateOffset(months=12))

    def at_risk_later(household_month: pd.DataFrame) -> pd.Series:
        later = household_month[["household_id", "month", "at_risk"]].rename(columns={"month": "later"})
        return supported.merge(later, on=["household_id", "later"], how="left")["at_risk"]

    helped, unhelped = at_risk_later(hm), at_risk_later(twin.truth["household_month"])
    both = helped.notna() & unhelped.notna()
    return pd.Series({"entries": int(both.sum()),
                      "at_risk_later_with_assistance": float(helped[both].astype(bool).mean()),
                      "at_risk_later_without": float(unhelped[both].astype(bool).mean())})


def calibration_table(sim) -> pd.DataFrame:
    """One row per figure: value, the domain range and whether the value is inside it."""
    rates = new_case_rates(sim).groupby("type")[["cases", "households"]].sum()
    mix = category_mix(sim)
    incomes = median_income_ex_poor(sim)
    spread = income_log_sd(sim)
    churn = line_churn(sim)
    lags = recording_lags(sim)
    rows = [
        ("new cases a year, ex_poor", rates.loc["ex_poor", "cases"] / rates.loc["ex_poor", "households"], 0.015, 0.03),
        ("new cases a year, ordinary", rates.loc["ordinary", "cases"] / rates.loc["ordinary", "households"], 0.002, 0.006),
        ("cases with illness among risk codes", illness_share(sim), 0.40, 0.55),
        ("category share sudden", mix.get("sudden", 0.0), 0.44, 0.64),
        ("category share unstable", mix.get("unstable", 0.0), 0.20, 0.40),
        ("category share edge", mix.get("edge", 0.0), 0.06, 0.26),
        *[(f"median income ex_poor {r.year} / domain", r.ratio, 0.85, 1.15) for r in incomes.itertuples()],
        *[(f"log-sd of income ex_poor {year}", value, 0.30, 0.38) for year, value in spread.items()],
        # income churn, estimates from rural panels such as CFPS [E]: incomes move a lot from year to
        # year and most spells below the line are short
        ("year-on-year corr of log income, ex_poor", income_year_on_year_correlation(sim), 0.45, 0.65),
        ("below the line: above it a year later", churn["below_to_above"], 0.40, 0.90),
        ("1.0-1.3x the line: below it within a year", churn["near_to_below"], 0.15, 0.35),
        ("alerts ending in an identified case", alert_identified_share(sim), 0.0, 0.20),
        ("real risk detected within 3 months", detection_within_3_months(sim), 0.70, 0.90),
        ("cases eliminated within a year", elimination_within_year(sim), 0.35, 0.65),
        ("eliminated households re-entering", reentry_share(sim), 0.05, 0.15),
        *[(f"median lag days, {source}", lags.loc[source, "50%"], low, high)
          for source, (low, high) in (("department", (10, 60)), ("survey", (7, 60)), ("self_report", (0, 7)))
          if source in lags.index],
        *records.record_rows(sim),
    ]
    table = pd.DataFrame(rows, columns=["figure", "value", "low", "high"])
    table["ok"] = (table["value"] >= table["low"]) & (table["value"] <= table["high"])
    return table

