"""The household data contract, version 2, declared once.

Readers, validation, the synthetic generator and the generated user documentation
(`docs/data-contract.md`) all derive from the declarations in this module.

Version 2 keeps every table and column of version 1. It changes the outcome: the `need` label
looks at the 12 months starting with the as-of date's month, and a month without a survey income
row is not assessed (unknown, never zero income). It adds `export.json` (`exported_at`, the
moment the export was taken: the data's end, after which no row may be recorded), makes an
impossible calendar date (`2022-02-30`) invalid, keeps each quarantined row's original text, and
lets a Parquet table be a folder of parts read in name order.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

CONTRACT_VERSION = "2"

ColumnKind = Literal["str", "int", "float", "bool", "date", "timestamp", "code", "codelist"]
TableKind = Literal["versioned", "id", "measure"]


@dataclass(frozen=True)
class Code:
    """One canonical code, with the Chinese label readers also accept (if the contract gives one)."""

    code: str
    zh: str | None = None


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    meaning: str = ""
    nullable: bool = False
    codes: tuple[Code, ...] = ()
    digits: int | None = None          # fixed-length digit strings (area codes)
    money: bool = False                # yuan amounts, must be >= 0
    min_value: float | None = None
    max_value: float | None = None
    references: str | None = None      # "households.household_id", ...
    max_items: int | None = None       # codelist: at most this many codes

    @functools.cached_property
    def code_values(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.codes)

    @functools.cached_property
    def label_map(self) -> dict[str, str]:
        """Accepted spellings (canonical code and Chinese label) to canonical code."""
        mapping = {c.code: c.code for c in self.codes}
        mapping.update({c.zh: c.code for c in self.codes if c.zh})
        return mapping


@dataclass(frozen=True)
class Table:
    name: str
    kind: TableKind
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # rule 5: recorded_at must not precede this column
    known_after: str | None = None
    # rule 8: (earlier, later) pairs that must be ordered inside a row
    ordered: tuple[tuple[str, str], ...] = ()
    # rule 8: date columns that must not be after the row's recorded_at
    not_after_recorded: tuple[str, ...] = ()
    # rule 9: (column, required-when) pairs: column set exactly when the condition holds
    period: bool = False               # rule 6: period_start/period_end cover a month or quarter
    versions_note: str = ""

    @functools.cached_property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name}")


def _codes(*pairs: str | tuple[str, str]) -> tuple[Code, ...]:
    return tuple(Code(*p) if isinstance(p, tuple) else Code(p) for p in pairs)


RECORDED_AT = Column("recorded_at", "timestamp", "when the record became known to the system")
HOUSEHOLD_REF = Column("household_id", "str", "→ households", references="households.household_id")

DATA_SOURCE_CODES = _codes(("survey", "入户核查"), ("department", "部门比对"), ("self_report", "自主申报"))
DIFFICULTY_CODES = _codes(
    "illness", "disability", "education", "housing", "water",
    "disaster", "accident", "unemployment", "business", "other",
)
OUTCOME_CODES = _codes("identified", "already_monitored", "false_alarm", "excluded")
INCOME_SOURCE_CODES = _codes(
    "wage_local", "wage_migrant", ("public_welfare_job", "公益岗位"), "agriculture", "business",
    "property", "pension", "dibao", "subsidy", "remittance", "other",
)
EXPENDITURE_CODES = _codes(
    "medical_total", ("medical_oop", "合规自付"), "education", "housing_repair",
    "disaster_loss", "funeral", "other",
)
EVENT_TYPE_CODES = _codes(
    "illness_major", "illness_chronic_onset", "disability_onset", "death", "accident",
    "disaster_flood", "disaster_drought", "disaster_hail", "disaster_earthquake",
    "disaster_landslide", "disaster_other", "job_loss", "business_failure", "house_damage",
    "school_entry", "other",
)
DEPARTMENT_CODES = _codes(
    "medical_insurance", "civil_affairs", "education", "housing", "emergency",
    "human_resources", "disabled_federation", "other",
)
CASE_CATEGORY_CODES = _codes(("unstable", "脱贫不稳定户"), ("edge", "边缘易致贫户"), ("sudden", "突发严重困难户"))
MEASURE_CODES = _codes(
    "industrial", "employment", "public_welfare_job", "microcredit", "medical_aid",
    "education_aid", "dibao", "temporary_relief", "housing_renovation", "insurance", "other",
)

PERIOD_COLUMNS = (
    Column("period_start", "date", "first day of the period"),
    Column("period_end", "date", "last day of the period"),
)

TABLES: tuple[Table, ...] = (
    Table(
        "areas", "versioned", "Administrative villages and where they sit.",
        (
            Column("village_code", "str", "administrative village (行政村) code; primary key", digits=12),
            Column("township_code", "str", "township (乡镇)", digits=9),
            Column("county_code", "str", "county (县)", digits=6),
            Column("province_code", "str", "province", digits=2),
            Column("key_county", "bool", "one of the 832 formerly poverty-stricken counties / key assistance county"),
            Column("relocation_site", "bool", "village is a poverty-relief relocation site (易地搬迁安置点)"),
            RECORDED_AT,
        ),
        key=("village_code",),
    ),
    Table(
        "monitoring_lines", "versioned",
        "The yearly monitoring income line per county; it rises 7-10% a year and is data, never a constant in code.",
        (
            Column("county_code", "str", "county the line applies to", digits=6, references="areas.county_code"),
            Column("year", "int", "calendar year", min_value=1950, max_value=2100),
            Column("line_yuan", "float", "per-capita yearly net income line (防返贫监测标准)", money=True),
            Column("dibao_yuan", "float", "rural minimum-living (低保) standard per person per year", money=True),
            Column("prev_rural_income_yuan", "float",
                   "last year's provincial rural per-capita disposable income (used by medical-cost rules)", money=True),
            RECORDED_AT,
        ),
        key=("county_code", "year"),
    ),
    Table(
        "households", "versioned", "Monitored and at-risk households (户).",
        (
            Column("household_id", "str", "户编号; primary key"),
            Column("village_code", "str", "→ areas", digits=12, references="areas.village_code"),
            Column("household_type", "code", "formerly poor or ordinary household",
                   codes=_codes(("ex_poor", "脱贫户"), ("ordinary", "一般农户"))),
            Column("exit_year", "int", "year the household left registered poverty (ex_poor only)",
                   nullable=True, min_value=1950, max_value=2100),
            Column("house_grade", "code", "A, B safe; C, D unsafe (住房安全等级)", codes=_codes("A", "B", "C", "D")),
            Column("cultivated_land_mu", "float", "cultivated land, 0-100 mu", min_value=0, max_value=100),
            Column("water_ok", "bool", "drinking water meets the quantity, access and quality standard"),
            Column("dissolved_on", "date", "household ceased to exist (merged, moved away, all members deceased)",
                   nullable=True),
            RECORDED_AT,
        ),
        key=("household_id",),
        not_after_recorded=("dissolved_on",),
        versions_note="A household can be re-exported with changed attributes: the latest row with "
                      "recorded_at < D holds as of D.",
    ),
    Table(
        "members", "versioned", "Household members (人).",
        (
            Column("person_id", "str", "人编号 (never a national ID number)"),
            HOUSEHOLD_REF,
            Column("relation", "code", "relation to the head",
                   codes=_codes("head", "spouse", "child", "parent", "grandchild", "other")),
            Column("birth_year", "int", "year of birth", min_value=1880, max_value=2100),
            Column("sex", "code", "sex", codes=_codes("F", "M")),
            Column("minority", "bool", "ethnic minority"),
            Column("education", "code", "highest education",
                   codes=_codes("none", "primary", "junior", "senior", "vocational", "tertiary")),
            Column("in_school", "bool", "currently enrolled"),
            Column("health", "code", "health", codes=_codes("healthy", ("chronic", "慢性病"), ("serious", "大病"),
                                                              ("disabled", "残疾"))),
            Column("disability_grade", "int", "1 (most severe) - 4", nullable=True, min_value=1, max_value=4),
            Column("labour", "code", "labour capacity (劳动能力)", codes=_codes("full", "partial", "none")),
            Column("migrant_months", "int", "months worked away from home in the last 12 (0-12)",
                   min_value=0, max_value=12),
            Column("medical_insured", "bool", "enrolled in resident medical insurance"),
            Column("joined_on", "date", "entered the household (birth, marriage)"),
            Column("left_on", "date", "left the household (death, marriage out, split)", nullable=True),
            RECORDED_AT,
        ),
        key=("person_id",),
        ordered=(("joined_on", "left_on"),),
        not_after_recorded=("joined_on", "left_on"),
        versions_note="Like households, a member may be re-exported; the latest row known at D holds.",
    ),
    Table(
        "income", "measure",
        "One row per household, period and source; periods are months or quarters. Amounts are net of production "
        "costs. Sources disagreeing on the same household, month and income source are resolved by precedence: "
        "department over survey over self_report, the latest known version within a source.",
        (
            HOUSEHOLD_REF, *PERIOD_COLUMNS,
            Column("source", "code", "income source", codes=INCOME_SOURCE_CODES),
            Column("amount_yuan", "float", "net of production costs", money=True),
            Column("data_source", "code", "channel that reported the row", codes=DATA_SOURCE_CODES),
            RECORDED_AT,
        ),
        key=("household_id", "period_start", "period_end", "source", "data_source"),
        known_after="period_end",
        period=True,
    ),
    Table(
        "expenditures", "measure", "Spending by category; medical_oop is what remains after all insurance.",
        (
            HOUSEHOLD_REF, *PERIOD_COLUMNS,
            Column("category", "code", "spending category", codes=EXPENDITURE_CODES),
            Column("amount_yuan", "float", "amount spent", money=True),
            Column("data_source", "code", "channel that reported the row", codes=DATA_SOURCE_CODES),
            RECORDED_AT,
        ),
        key=("household_id", "period_start", "period_end", "category", "data_source"),
        known_after="period_end",
        period=True,
    ),
    Table(
        "events", "id", "Shocks, as recorded by any channel.",
        (
            Column("event_id", "str", "primary key"),
            HOUSEHOLD_REF,
            Column("person_id", "str", "member concerned, if any", nullable=True, references="members.person_id"),
            Column("event_type", "code", "kind of shock", codes=EVENT_TYPE_CODES),
            Column("occurred_on", "date", "when it happened"),
            Column("severity", "int", "1 minor, 2 serious, 3 severe", min_value=1, max_value=3),
            Column("est_loss_yuan", "float", "estimated loss", nullable=True, money=True),
            Column("data_source", "code", "channel that reported the event", codes=DATA_SOURCE_CODES),
            RECORDED_AT,
        ),
        key=("event_id",),
        known_after="occurred_on",
    ),
    Table(
        "alerts", "id", "Department data comparison alerts (部门筛查预警) pushed to the county.",
        (
            Column("alert_id", "str", "primary key"),
            HOUSEHOLD_REF,
            Column("department", "code", "department that pushed the alert", codes=DEPARTMENT_CODES),
            Column("rule_code", "str", "the department's trigger rule, free text code"),
            Column("value", "float", "the measured value (e.g. year-to-date out-of-pocket yuan)", nullable=True),
            Column("pushed_at", "timestamp", "when the alert was pushed"),
            Column("outcome", "code", "null while open", nullable=True, codes=OUTCOME_CODES),
            Column("resolved_at", "timestamp", "when the outcome was decided", nullable=True),
            RECORDED_AT,
        ),
        key=("alert_id",),
        known_after="pushed_at",
        ordered=(("pushed_at", "resolved_at"),),
    ),
    Table(
        "self_reports", "id", "Households' own applications for help (自主申报).",
        (
            Column("report_id", "str", "primary key"),
            HOUSEHOLD_REF,
            Column("channel", "code", "how it was received",
                   codes=_codes("app", ("hotline", "12317"), "written", "cadre")),
            Column("difficulty", "code", "difficulty reported", codes=DIFFICULTY_CODES),
            Column("received_at", "timestamp", "when it was received"),
            Column("outcome", "code", "null while open", nullable=True, codes=OUTCOME_CODES),
            Column("resolved_at", "timestamp", "when the outcome was decided", nullable=True),
            RECORDED_AT,
        ),
        key=("report_id",),
        known_after="received_at",
        ordered=(("received_at", "resolved_at"),),
    ),
    Table(
        "visits", "id", "Grassroots household checks (入户排查) with the two-assurances-three-guarantees checklist.",
        (
            Column("visit_id", "str", "primary key"),
            HOUSEHOLD_REF,
            Column("visited_on", "date", "date of the visit"),
            Column("food_clothing_ok", "bool", "food and clothing assured"),
            Column("education_ok", "bool", "no child aged 6-15 out of school"),
            Column("medical_ok", "bool", "every member insured and able to get care"),
            Column("housing_ok", "bool", "house graded A/B"),
            Column("water_ok", "bool", "safe drinking water"),
            Column("income_pc_12m_yuan", "float", "per-capita income for the last 12 months as assessed on the visit",
                   nullable=True, money=True),
            RECORDED_AT,
        ),
        key=("visit_id",),
        known_after="visited_on",
    ),
    Table(
        "cases", "id", "Monitoring cases (监测对象): history for features and the outcome labels are built from.",
        (
            Column("case_id", "str", "primary key"),
            HOUSEHOLD_REF,
            Column("category", "code", "monitoring category", codes=CASE_CATEGORY_CODES),
            Column("risk_codes", "codelist", "up to 5 codes joined by ';' from the self_reports difficulty list",
                   codes=DIFFICULTY_CODES, max_items=5),
            Column("discovered_on", "date", "first signal"),
            Column("channel", "code", "how the risk was found", codes=_codes("self_report", "visit", "alert")),
            Column("identified_on", "date", "county approval: a monitoring object from this date"),
            Column("eliminated_on", "date", "risk eliminated (风险消除); null while open", nullable=True),
            RECORDED_AT,
        ),
        key=("case_id",),
        known_after="identified_on",
        ordered=(("discovered_on", "identified_on"), ("identified_on", "eliminated_on")),
    ),
    Table(
        "assistance", "id", "Support measures given to households.",
        (
            Column("measure_id", "str", "primary key"),
            HOUSEHOLD_REF,
            Column("measure", "code", "kind of support", codes=MEASURE_CODES),
            Column("start_on", "date", "first day of the measure"),
            Column("end_on", "date", "last day of the measure; null while it runs", nullable=True),
            Column("amount_yuan", "float", "amount given", nullable=True, money=True),
            RECORDED_AT,
        ),
        key=("measure_id",),
        known_after="start_on",
        ordered=(("start_on", "end_on"),),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES_BY_NAME)

# Rule 9 agreements that are not simple orderings.
AREA_PREFIXES: tuple[tuple[str, str], ...] = (
    ("village_code", "township_code"),
    ("township_code", "county_code"),
    ("county_code", "province_code"),
)

# Conflicting data sources for the same household, period and source: earlier wins.
DATA_SOURCE_PRECEDENCE: tuple[str, ...] = ("department", "survey", "self_report")


def table(name: str) -> Table:
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; the contract has {', '.join(TABLE_NAMES)}") from None
