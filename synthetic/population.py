"""The households and people at the start of the warm-up."""
from __future__ import annotations

import numpy as np

from synthetic.areas import Geography
from synthetic.months import MonthGrid
from synthetic.codes import HLT, REL
from synthetic.frames import NO_DAY
from synthetic.lifecourse import SCHOOL_END_AGE, draw_final_education
from synthetic.state import NEVER, Households, People, empty_difficulty_matrix

EX_POOR_SHARE = 0.30
ASSESSMENT_ERROR_SD = 0.06
WORKS_EX_POOR, WORKS_ORDINARY = 0.65, 0.90    # share of able adults in paid work
SIZE_PROBS = np.array([0.12, 0.22, 0.22, 0.21, 0.12, 0.07, 0.02, 0.02])   # 1..8 members, mean 3.4
# relation of the third and later members by head's age band (<45, 45-64, 65+): child, grandchild, parent, other
LATER_RELATIONS = (REL["child"], REL["grandchild"], REL["parent"], REL["other"])
LATER_RELATION_PROBS = np.array([[0.80, 0.00, 0.20, 0.00], [0.55, 0.25, 0.08, 0.12], [0.45, 0.35, 0.00, 0.20]])
AGE_GAP = {REL["child"]: (20, 36), REL["grandchild"]: (42, 62), REL["parent"]: (-34, -20), REL["other"]: (20, 34)}


def draw_households(rng: np.random.Generator, geo: Geography, count: int) -> Households:
    village = np.sort(rng.integers(0, geo.village_codes.size, count))
    ex_poor = rng.random(count) < EX_POOR_SHARE
    exit_year = np.where(ex_poor, rng.choice([2016, 2017, 2018, 2019, 2020], count, p=[.15, .2, .25, .25, .15]), 0)
    grade = np.where(rng.random(count) < 0.42, 0, 1) + (rng.random(count) < 0.04) + (rng.random(count) < 0.01)
    never = np.full(count, NEVER, dtype=np.int32)
    zeros = np.zeros(count)
    return Households(
        county=geo.village_county[village], village=village, ex_poor=ex_poor, exit_year=exit_year,
        house_grade=np.minimum(grade, 3).astype(np.int8),
        land_mu=np.round(np.clip(rng.lognormal(np.log(np.where(ex_poor, 4.5, 5.5)), 0.6), 0, 100), 1),
        water_ok=rng.random(count) < 0.97, dissolved_day=np.full(count, NO_DAY, dtype=np.int64),
        person_seq=np.zeros(count, dtype=np.int64),
        productivity=rng.lognormal(0.0, np.where(ex_poor, 0.22, 0.32)), wage_scale=np.ones(count),
        growth=rng.normal(np.where(ex_poor, 0.092, 0.085), 0.015), drift=zeros.copy(), transitory=zeros.copy(),
        harvest=zeros.copy(), income_normal=zeros.copy(), adaptation=zeros.copy(),
        agri_base=zeros.copy(), business_base=zeros.copy(), property_base=zeros.copy(),
        remittance_base=zeros.copy(), subsidy_base=zeros.copy(), other_base=zeros.copy(),
        savings_share=rng.lognormal(np.log(np.where(ex_poor, 0.3, 0.9)), 0.8), app_user=rng.random(count) < 0.15,
        assessment_error=rng.normal(0, ASSESSMENT_ERROR_SD, count), dept_wage_feed=rng.random(count) < 0.08,
        illness_loss_until=never.copy(), agri_loss_until=never.copy(), agri_loss_share=zeros.copy(),
        disruption_until=never.copy(), business_down=np.zeros(count, dtype=bool),
        last_difficulty=empty_difficulty_matrix(count), last_major_shock=never.copy(),
        case_row=np.full(count, -1, dtype=np.int64), stable_months=np.zeros(count, dtype=np.int32),
        ytd_oop=zeros.copy(), ytd_alerted=np.zeros(count, dtype=bool),
    )


def _relations_and_ages(rng: np.random.Generator, sizes: np.ndarray, head_age: np.ndarray):
    """Per household slot: relation and age (-1 where the slot is empty)."""
    n = sizes.size
    relation = np.full((n, 8), -1, dtype=np.int8)
    age = np.full((n, 8), -1, dtype=np.int64)
    relation[:, 0], age[:, 0] = REL["head"], head_age
    has_spouse = (sizes >= 2) & (rng.random(n) < 0.85)
    band = np.digitize(head_age, [45, 65])
    for slot in range(1, 8):
        filled = sizes > slot
        pick = (rng.random(n)[:, None] > np.cumsum(LATER_RELATION_PROBS[band], axis=1)).sum(axis=1)
        rel = np.asarray(LATER_RELATIONS)[np.minimum(pick, 3)]
        if slot == 1:
            rel = np.where(has_spouse, REL["spouse"], rel)
        gap_low = np.select([rel == r for r in AGE_GAP], [AGE_GAP[r][0] for r in AGE_GAP], 0)
        gap_high = np.select([rel == r for r in AGE_GAP], [AGE_GAP[r][1] for r in AGE_GAP], 0)
        gap = np.where(rel == REL["spouse"], rng.integers(-3, 6, n), rng.integers(gap_low, np.maximum(gap_high, gap_low + 1)))
        member_age = np.clip(head_age - gap, 0, 98)
        relation[:, slot] = np.where(filled, rel, -1)
        age[:, slot] = np.where(filled, member_age, -1)
    return relation, age


def draw_people(rng: np.random.Generator, hh: Households, grid: MonthGrid) -> People:
    n = hh.size
    sizes = 1 + (rng.random(n)[:, None] > np.cumsum(SIZE_PROBS)).sum(axis=1).clip(0, 7)
    head_age = np.clip(rng.normal(np.where(sizes == 1, 66, 52), 12), 24, 90).astype(np.int64)
    relation, age = _relations_and_ages(rng, sizes, head_age)
    filled = relation >= 0
    household = np.nonzero(filled)[0]
    seq = np.nonzero(filled)[1] + 1
    relation, age = relation[filled], age[filled]
    hh.person_seq[:] = sizes
    year = grid.year(0)
    birth_year = year - age
    count = household.size
    head_female = rng.random(n) < 0.12
    female = np.where(relation == REL["head"], head_female[household],
                      np.where(relation == REL["spouse"], ~head_female[household],
                               np.where(relation == REL["other"], rng.random(count) < 0.85, rng.random(count) < 0.5)))
    return _people_from_slots(rng, hh, grid, household, seq, relation, birth_year, female)


def _people_from_slots(rng, hh: Households, grid: MonthGrid, household, seq, relation, birth_year, female) -> People:
    count = household.size
    year = grid.year(0)
    age = year - birth_year
    ex_poor = hh.ex_poor[household]
    village_minority = rng.random(hh.village.max() + 1) < 0.25
    minority = np.where(village_minority[hh.village[household]], rng.random(count) < 0.7, rng.random(count) < 0.03)
    final_education = draw_final_education(rng, birth_year, ex_poor)
    health, grade = draw_health(rng, age, ex_poor)
    birth_day = _birth_days(rng, birth_year)
    married_in = (relation == REL["spouse"]) | (relation == REL["other"])
    joined = np.where(married_in, birth_day + 365 * rng.integers(19, 26, count), birth_day)
    joined = np.minimum(joined, grid.first_day(0) - 1)
    joined = np.where(joined == NO_DAY, NO_DAY - 1, joined)   # 1969-12-31 is day -1, the "no date" mark
    people = People(
        count=0, household=np.zeros(0, np.int64), seq=np.zeros(0, np.int64), relation=np.zeros(0, np.int8),
        birth_year=np.zeros(0, np.int64), female=np.zeros(0, bool), minority=np.zeros(0, bool),
        final_education=np.zeros(0, np.int8), school_end_age=np.zeros(0, np.int64),
        dropout_until=np.zeros(0, np.int32), health=np.zeros(0, np.int8), disability_grade=np.zeros(0, np.int8),
        frailty=np.zeros(0), works=np.zeros(0, bool), migrates=np.zeros(0, bool), wage_base=np.zeros(0),
        job_lost_until=np.zeros(0, np.int32), serious_until=np.zeros(0, np.int32), married=np.zeros(0, bool),
        insured=np.zeros(0, bool), joined_day=np.zeros(0, np.int64), left_day=np.zeros(0, np.int64),
        present=np.zeros(0, bool), migrant_history=np.zeros((12, 0), bool),
    )
    people.add(
        household=household, seq=seq, relation=relation, birth_year=birth_year, female=female, minority=minority,
        final_education=final_education, school_end_age=SCHOOL_END_AGE[final_education],
        dropout_until=np.full(count, NEVER), health=health, disability_grade=grade, frailty=rng.random(count),
        works=rng.random(count) < np.where(ex_poor, WORKS_EX_POOR, WORKS_ORDINARY),
        migrates=rng.random(count) < np.where(age < 50, 0.5, 0.15),
        wage_base=np.zeros(count), job_lost_until=np.full(count, NEVER), serious_until=np.full(count, NEVER),
        married=(relation == REL["head"]) | married_in | (age >= 35), insured=rng.random(count) < 0.985,
        joined_day=joined, left_day=np.full(count, NO_DAY), present=np.ones(count, bool),
    )
    people.wage_base[: people.count] = draw_wage_base(rng, people.migrates[: people.count], hh.productivity[household])
    return people


def draw_health(rng: np.random.Generator, age: np.ndarray, ex_poor: np.ndarray):
    count = age.size
    p_chronic = np.clip(0.02 + 0.006 * np.maximum(age - 30, 0), 0, 0.45) * np.where(ex_poor, 1.3, 1.0)
    p_disabled = np.where(ex_poor, 0.06, 0.035) * np.where(age >= 50, 1.6, 0.8)
    u = rng.random(count)
    health = np.where(u < p_disabled, HLT["disabled"],
                      np.where(u < p_disabled + p_chronic, HLT["chronic"],
                               np.where(u < p_disabled + p_chronic + 0.004, HLT["serious"], HLT["healthy"])))
    grade = np.where(health == HLT["disabled"], rng.choice([1, 2, 3, 4], count, p=[.12, .23, .33, .32]), 0)
    return health.astype(np.int8), grade.astype(np.int8)


def draw_wage_base(rng: np.random.Generator, migrates: np.ndarray, productivity: np.ndarray) -> np.ndarray:
    """Yearly wage when working full time: migrants 4,100-5,400 a month for about nine months."""
    count = migrates.size
    migrant = rng.lognormal(np.log(4_700), 0.12, count) * 12 * 0.85
    local = rng.lognormal(np.log(2_300), 0.35, count) * 12 * 0.80
    return np.where(migrates, migrant * np.sqrt(productivity), local * productivity)


def _birth_days(rng: np.random.Generator, birth_year: np.ndarray) -> np.ndarray:
    jan_first = (np.asarray(birth_year) - 1970).astype("datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    return jan_first + rng.integers(0, 365, birth_year.size)


def draw_income_bases(rng: np.random.Generator, hh: Households, people: People) -> None:
    """Non-wage income potential of each household, yuan a year at 2021 level."""
    n = hh.size
    workers = np.bincount(people.household[: people.count], weights=people.works[: people.count], minlength=n)
    productivity = hh.productivity
    hh.agri_base[:] = hh.land_mu * rng.lognormal(np.log(650), 0.4, n) * productivity
    hh.business_base[:] = np.where(rng.random(n) < np.where(hh.ex_poor, 0.07, 0.12),
                                   rng.lognormal(np.log(18_000), 0.6, n) * productivity, 0.0)
    hh.property_base[:] = np.where(rng.random(n) < 0.25, rng.lognormal(np.log(1_500), 0.8, n), 0.0)
    remit_share = np.where(workers == 0, 0.6, 0.12)
    hh.remittance_base[:] = np.where(rng.random(n) < remit_share, rng.lognormal(np.log(3_000), 0.6, n), 0.0)
    hh.subsidy_base[:] = np.round(hh.land_mu * 110 + np.where(hh.ex_poor, 600, 150))
    hh.other_base[:] = np.where(rng.random(n) < 0.10, rng.lognormal(np.log(600), 0.6, n), 0.0)


def normal_quantile(p: np.ndarray) -> np.ndarray:
    """Standard normal quantile (Acklam's rational approximation, error < 1.2e-9)."""
    a = (-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
         -3.066479806614716e+01, 2.506628277459239e+00)
    b = (-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
         -1.328068155288572e+01)
    c = (-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
         4.374664141464968e+00, 2.938163982698783e+00)
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00)
    p = np.asarray(p, dtype=float)
    q = np.where(p < 0.5, p, 1 - p)
    r = np.sqrt(-2 * np.log(q))
    tail = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / \
        ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
    s = p - 0.5
    s2 = s * s
    central = (((((a[0] * s2 + a[1]) * s2 + a[2]) * s2 + a[3]) * s2 + a[4]) * s2 + a[5]) * s / \
        (((((b[0] * s2 + b[1]) * s2 + b[2]) * s2 + b[3]) * s2 + b[4]) * s2 + 1)
    return np.where(np.abs(s) <= 0.425, central, np.where(p < 0.5, -tail, tail))


def shape_income(hh: Households, people: People, adjustable: np.ndarray, fixed: np.ndarray,
                 members: np.ndarray, targets: dict[bool, tuple[float, float]]) -> None:
    """Bring the per-capita income at 2021 level to the domain's median and log spread per household
    type, keeping each household's rank: the adjustable sources (work, farming, business, property,
    family support) are scaled per household; pensions and subsidies are policy amounts and stay."""
    size = np.maximum(members, 1)
    pc = np.maximum((adjustable + fixed) / size, 1.0)
    factor = np.ones(hh.size)
    for ex_poor, (median, log_sd) in targets.items():
        chosen = hh.ex_poor == ex_poor
        rank = (np.argsort(np.argsort(pc[chosen], kind="stable"), kind="stable") + 0.5) / chosen.sum()
        target = median * np.exp(normal_quantile(rank) * log_sd)
        hh.income_normal[chosen] = target
        needed = target * size[chosen] - fixed[chosen]
        factor[chosen] = np.clip(needed / np.maximum(adjustable[chosen], 1.0), 0.2, 5.0)
        shortfall = np.maximum(needed - factor[chosen] * adjustable[chosen], 0.0)
        hh.remittance_base[chosen] += shortfall / np.where(adjustable[chosen] < 1.0, 1.0, factor[chosen])
    hh.wage_scale[:] = factor
    for name in ("agri_base", "business_base", "property_base", "remittance_base", "other_base"):
        getattr(hh, name)[:] *= np.where(adjustable < 1.0, 1.0, factor)
    people.wage_base[: people.count] *= factor[people.household[: people.count]]
