"""The hidden truth kept beside the export: each household's real position month by month."""
from __future__ import annotations

import numpy as np

from synthetic.assistance import supported
from synthetic.months import MonthGrid
from synthetic.frames import NO_DAY
from synthetic.records import Recorder
from synthetic.risk import NONE, RiskView
from synthetic.state import Households


class TruthLog:
    def __init__(self) -> None:
        self.rec = Recorder()

    def month(self, grid: MonthGrid, t: int, hh: Households, adm, income: np.ndarray, view: RiskView) -> None:
        exists = (hh.dissolved_day == NO_DAY) | (hh.dissolved_day >= grid.first_day(t))
        households = np.flatnonzero(exists)
        case_row = hh.case_row[households]
        open_case = case_row >= 0
        identified = adm.cases.lookup("identified_day", case_row, NO_DAY)
        in_case = open_case & (identified <= grid.last_day(t))
        self.rec.add(
            "household_month", household=households, month=np.full(households.size, t),
            members_present=view.members[households], income_month_true=np.round(income[households], 2),
            income_pc_12m_true=np.round(view.income_pc_12m[households], 2),
            net_pc_12m_true=np.round(view.net_pc_12m[households], 2),
            income_rate_pc_true=np.round(view.rate_pc[households], 2),
            line_yuan=view.line[households], below_line=view.income_pc_12m[households] < view.line[households],
            risk_state=view.state[households], at_risk=view.state[households] != NONE,
            supported=supported(adm.measures, hh.size, t)[households], in_case=in_case,
        )
