"""The county's monthly administrative round: signals, discovery, identification, outcomes, support."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.book import Book
from synthetic.months import MonthGrid, SECONDS_PER_DAY, office_time
from synthetic.cases import categories, eliminate, household_flags, open_cases
from synthetic.codes import CCH, OUT
from synthetic.detection import (VISIT_FINDS_RISK, MonthFacts, VisitBatch, department_alerts, main_difficulty,
                                 self_reports, visit_checklist, visit_households)
from synthetic.records import Recorder
from synthetic.risk import RiskView, Rolling
from synthetic.state import NEVER, Households, People
from synthetic.support_plan import plan_measures, wind_down

SELF_REPORT_ENTRY_LAG_DAYS = (0, 4)


@dataclass
class Administration:
    cases: Book
    measures: Book
    check_month: np.ndarray          # concentrated-check month per county this year
    last_eliminated: np.ndarray      # month a household's last case was eliminated


def _discover(households, days, channels, success, monitored):
    """Earliest successful signal per household not yet monitored: (households, days, channels, signal index)."""
    candidate = np.flatnonzero(success & ~monitored[households])
    order = np.lexsort((days[candidate], households[candidate]))
    candidate = candidate[order]
    first = np.r_[True, households[candidate][1:] != households[candidate][:-1]][: candidate.size]
    chosen = candidate[first]
    return households[chosen], days[chosen], channels[chosen], chosen


def _outcomes(rng, households, signal_seconds, monitored, discovered, identified_seconds, chosen):
    """Alert and self-report outcomes: identified for the signal that opened a case, already
    monitored when a case is open or opened by another signal, else a false alarm or excluded."""
    n = households.size
    outcome = np.where(rng.random(n) < 0.8, OUT["false_alarm"], OUT["excluded"])
    resolved = signal_seconds + rng.integers(3, 31, n) * SECONDS_PER_DAY
    outcome = np.where(discovered[households] | monitored[households], OUT["already_monitored"], outcome)
    outcome[chosen] = OUT["identified"]
    resolved[chosen] = np.maximum(identified_seconds, signal_seconds[chosen] + 3600)
    return outcome.astype(np.int8), resolved


def administer(rng, adm: Administration, hh: Households, people: People, grid: MonthGrid, t: int,
               view: RiskView, facts: MonthFacts, labour_units: np.ndarray, rolling: Rolling,
               dibao_standard: np.ndarray, prev_rural_income: float, rec: Recorder) -> VisitBatch:
    """One month's round; returns its household visits, for the records."""
    monitored = hh.case_row >= 0
    flags = household_flags(hh, people, grid, t, view)
    alerts = department_alerts(rng, hh, grid, t, facts, view, monitored, prev_rural_income)
    reports = self_reports(rng, hh, grid, t, view, main_difficulty(flags))
    visited, visit_kind, visit_day = visit_households(rng, hh, grid, t, adm.check_month, monitored,
                                                      (t - adm.last_eliminated) <= 12)
    assessed = view.assessed_at_risk(rng, hh.assessment_error)
    households = np.concatenate([alerts["household"], reports["household"], visited])
    seconds = np.concatenate([alerts["pushed"], reports["received"], visit_day * SECONDS_PER_DAY])
    channels = np.concatenate([np.full(alerts["household"].size, CCH["alert"]),
                               np.full(reports["household"].size, CCH["self_report"]),
                               np.full(visited.size, CCH["visit"])])
    success = assessed[households] & np.r_[np.ones(households.size - visited.size, bool),
                                             rng.random(visited.size) < VISIT_FINDS_RISK]
    found, found_day, found_channel, chosen = _discover(households, seconds // SECONDS_PER_DAY, channels,
                                                        success, monitored)
    rows = open_cases(rng, adm.cases, hh, grid, found, found_day, found_channel,
                      categories(hh, found, view, t), flags[found])
    identified_day = adm.cases["identified_day"][rows]
    plan_measures(rng, adm.measures, rolling, grid, t, found, identified_day, flags[found],
                  adm.cases["category"][rows], view, labour_units, dibao_standard)
    discovered = np.zeros(hh.size, dtype=bool)
    discovered[found] = True
    signal_identified = np.full(households.size, NEVER, dtype=np.int64)
    signal_identified[chosen] = office_time(rng, identified_day)
    outcome, resolved = _outcomes(rng, households, seconds, monitored, discovered,
                                  signal_identified[chosen], chosen)
    _record_signals(rng, rec, alerts, reports, visited, visit_day, outcome, resolved)
    visits = VisitBatch(household=visited, day=visit_day, kind=visit_kind, monitored=monitored[visited],
                        checklist=visit_checklist(hh, people, grid, t, view, visited))
    eliminated = eliminate(rng, adm.cases, hh, grid, t, labour_units)
    adm.last_eliminated[eliminated] = t
    wind_down(rng, adm.measures, grid, t, eliminated, labour_units)
    return visits


def _record_signals(rng, rec: Recorder, alerts, reports, visited, visit_day, outcome, resolved) -> None:
    n_alerts, n_reports = alerts["household"].size, reports["household"].size
    rec.add("alerts", household=alerts["household"], rule=alerts["rule"], value=alerts["value"],
            pushed=alerts["pushed"], outcome=outcome[:n_alerts], resolved=resolved[:n_alerts],
            recorded=alerts["pushed"] + rng.integers(60, 2 * SECONDS_PER_DAY, n_alerts))
    part = slice(n_alerts, n_alerts + n_reports)
    entry = rng.integers(*SELF_REPORT_ENTRY_LAG_DAYS, n_reports) * SECONDS_PER_DAY + rng.integers(60, 7200, n_reports)
    rec.add("self_reports", household=reports["household"], channel=reports["channel"],
            difficulty=reports["difficulty"], received=reports["received"], outcome=outcome[part],
            resolved=resolved[part], recorded=reports["received"] + entry)
