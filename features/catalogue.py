"""The feature catalogue, declared once.

Training matrices, the service's schemas, reason texts, the MLflow signature and the user page
`docs/features.md` all derive from these declarations. Order here is the column order everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FEATURE_SCHEMA_VERSION = "2"

Family = Literal[
    "illness", "disability", "schooling", "work_income", "farm_income", "disaster", "housing", "water",
    "assistance_ending", "household_structure", "past_cases", "other",
]
Dtype = Literal["float", "int", "bool"]
Imputation = Literal["zero", "missing", "false"]
# How an input moves with the calendar alone, for drift monitoring: "ages" grows by one a year for the
# same household (years since exit, the head's age); "since" counts months back to a household's
# latest record of a kind, so how far it can reach depends on how many months the export holds.
Clock = Literal["", "ages", "since"]
AGEING = ("years_since_exit", "head_age")

FAMILY_LABELS: dict[str, tuple[str, str]] = {
    "illness": ("illness and medical costs", "疾病与医疗支出"),
    "disability": ("disability", "残疾"),
    "schooling": ("schooling costs and school-age children", "子女上学"),
    "work_income": ("work income", "务工收入"),
    "farm_income": ("farm and business income", "种养与经营收入"),
    "disaster": ("natural disaster", "自然灾害"),
    "housing": ("housing safety", "住房安全"),
    "water": ("drinking water", "饮水安全"),
    "assistance_ending": ("assistance ending or transfers", "帮扶措施到期与转移性收入"),
    "household_structure": ("household structure and labour", "家庭结构与劳动力"),
    "past_cases": ("past monitoring cases", "曾被纳入监测"),
    "other": ("other signals", "其他"),
}


@dataclass(frozen=True)
class Feature:
    name: str
    dtype: Dtype
    unit: str
    description: str
    description_zh: str
    family: Family
    imputation: Imputation = "zero"
    protected: bool = False
    clock: Clock = ""


def _f(name, dtype, unit, family, description, description_zh, imputation="zero", protected=False) -> Feature:
    clock = "since" if name.startswith("months_since_") else "ages" if name in AGEING else ""
    return Feature(name, dtype, unit, description, description_zh, family, imputation, protected, clock)


_INCOME = [
    _f("assessed_income_pc_12m", "float", "yuan/person/year", "work_income",
       "latest assessed 12-month net income per member present (12 consecutive months covered by survey "
       "assessments known at the as-of date, all data sources); missing when nobody assessed a full year",
       "最近一次核定的12个月人均纯收入", "missing"),
    _f("assessed_income_line_ratio", "float", "ratio", "work_income",
       "latest assessed 12-month per-capita income divided by the county line of its last month's year",
       "最近一次核定人均收入与当年监测标准之比", "missing"),
    _f("assessed_income_age_months", "float", "months", "other",
       "months from the last month of the latest assessment to the as-of month (how old it is)",
       "最近一次收入核定距今月数", "missing"),
    _f("assessed_months_24m", "int", "months", "other",
       "months of the last 24 covered by a survey assessment known at the as-of date", "近24个月已核定收入的月数"),
    _f("assessed_income_change", "float", "ratio", "work_income",
       "change of the income-to-line ratio between the previous and the latest assessment (latest minus previous)",
       "最近两次核定收入与监测标准之比的变化", "missing"),
    _f("assessed_years_below_line", "int", "assessments", "work_income",
       "of the latest four yearly assessments, how many were below the line", "近四次核定中低于监测标准的次数"),
    _f("share_wage_local", "float", "share", "work_income",
       "share of the latest assessed income from local wages", "本地务工收入占比", "missing"),
    _f("share_wage_migrant", "float", "share", "work_income",
       "share of the latest assessed income from migrant wages (dependence on migrant work)", "外出务工收入占比",
       "missing"),
    _f("share_farm_business", "float", "share", "farm_income",
       "share of the latest assessed income from agriculture and business", "种养及经营收入占比", "missing"),
    _f("share_transfers", "float", "share", "assistance_ending",
       "share of the latest assessed income from dibao, subsidies, pensions, public-welfare jobs and remittances "
       "(dependence on transfers)", "转移性收入（低保、补贴、养老金、公益岗位等）占比", "missing"),
    _f("department_income_pc_12m", "float", "yuan/person/year", "assistance_ending",
       "transfers reported by departments (pension, dibao, subsidies, public-welfare job pay) over the last 12 "
       "months, per member present", "近12个月部门比对的转移性收入（人均）"),
    _f("department_income_change", "float", "ratio", "assistance_ending",
       "department-reported transfers of the latest 3 reported months minus the 3 before, per person and year, "
       "divided by the line", "部门比对转移性收入近3个月较前3个月的变化（相对监测标准）", "missing"),
    _f("dibao_months_12m", "int", "months", "assistance_ending",
       "months of the last 12 in which civil affairs reported dibao", "近12个月领取低保的月数"),
]

_MEMBERS = [
    _f("household_size", "int", "persons", "household_structure", "members present", "家庭人口数"),
    _f("dependency_ratio", "float", "ratio", "household_structure",
       "members under 16 or aged 60+ per member aged 16-59 (10 when there is none)", "抚养比"),
    _f("workers", "int", "persons", "household_structure", "members aged 16-64 with full or partial labour capacity",
       "劳动力人数"),
    _f("labour_capacity", "float", "full-worker equivalents", "household_structure",
       "full labour counts 1, partial 0.5", "劳动能力折算人数"),
    _f("migrant_workers", "int", "persons", "work_income", "members who worked away from home in the last 12 months",
       "外出务工人数"),
    _f("elderly_only", "bool", "", "household_structure", "no member is under 60", "纯老年户", "false"),
    _f("head_age", "float", "years", "household_structure", "age of the household head", "户主年龄", "missing"),
    _f("head_schooling_years", "float", "years", "household_structure",
       "years of schooling of the household head (none 0, primary 6, junior 9, senior or vocational 12, "
       "tertiary 15)", "户主受教育年限", "missing"),
    _f("chronic_members", "int", "persons", "illness", "members with a chronic illness", "慢性病人数"),
    _f("serious_illness_members", "int", "persons", "illness", "members with a serious illness", "大病人数"),
    _f("disabled_members", "int", "persons", "disability", "members with a disability", "残疾人数"),
    _f("severely_disabled_members", "int", "persons", "disability", "members with disability grade 1 or 2",
       "一二级残疾人数"),
    _f("uninsured_members", "int", "persons", "illness", "members not enrolled in medical insurance",
       "未参加医保人数"),
    _f("children_compulsory_school", "int", "persons", "schooling", "children aged 6-15",
       "义务教育阶段适龄儿童数"),
    _f("students", "int", "persons", "schooling", "members currently enrolled in school", "在校生人数"),
    _f("members_joined_12m", "int", "persons", "household_structure", "members who joined in the last 12 months",
       "近12个月新增人口"),
    _f("members_left_12m", "int", "persons", "household_structure", "members who left in the last 12 months",
       "近12个月减少人口"),
    _f("head_female", "bool", "", "household_structure", "the household head is a woman", "户主为女性", "false",
       protected=True),
    _f("head_minority", "bool", "", "household_structure", "the household head belongs to an ethnic minority",
       "户主为少数民族", "false", protected=True),
]

_SPENDING = [
    _f("medical_oop_3m", "float", "yuan", "illness", "out-of-pocket medical costs over the last 3 months",
       "近3个月医疗自付费用"),
    _f("medical_oop_12m", "float", "yuan", "illness", "out-of-pocket medical costs over the last 12 months",
       "近12个月医疗自付费用"),
    _f("medical_oop_income_ratio_12m", "float", "ratio", "illness",
       "12-month out-of-pocket medical costs divided by 12-month household income", "医疗自付费用占收入比",
       "missing"),
    _f("medical_oop_rule_ratio_12m", "float", "ratio", "illness",
       "12-month out-of-pocket medical costs divided by the department trigger (50% of last year's provincial "
       "rural income for formerly poor households, 100% for others)", "医疗自付费用与部门预警标准之比", "missing"),
    _f("education_spend_12m", "float", "yuan", "schooling", "schooling costs over the last 12 months",
       "近12个月教育支出"),
    _f("housing_disaster_spend_12m", "float", "yuan", "housing",
       "house repair and disaster losses recorded as spending over the last 12 months", "近12个月住房修缮及灾害损失"),
]

_SHOCK_GROUPS = {
    "illness": ("illness", ("illness_major", "illness_chronic_onset"), "major or chronic illness", "重大疾病或慢性病"),
    "disability": ("disability", ("disability_onset", "accident"), "disability onset or accident", "致残或意外事故"),
    "disaster": ("disaster", ("disaster_flood", "disaster_drought", "disaster_hail", "disaster_earthquake",
                              "disaster_landslide", "disaster_other"), "natural disaster", "自然灾害"),
    "job": ("work_income", ("job_loss",), "job loss", "失业"),
    "business": ("farm_income", ("business_failure",), "business failure", "经营失败"),
    "house": ("housing", ("house_damage",), "house damage", "房屋受损"),
    "death": ("household_structure", ("death",), "death of a member", "家庭成员死亡"),
}
SHOCK_EVENT_TYPES = {group: types for group, (_, types, _, _) in _SHOCK_GROUPS.items()}

_SHOCKS = [
    feature for group, (family, _, label, label_zh) in _SHOCK_GROUPS.items() for feature in (
        _f(f"shocks_{group}_12m", "int", "events", family, f"{label} events in the last 12 months",
           f"近12个月{label_zh}事件数"),
        _f(f"months_since_{group}", "float", "months", family, f"months since the latest {label} event",
           f"距最近一次{label_zh}的月数", "missing"),
    )
] + [
    _f("shock_severity_max_12m", "float", "1-3", "other", "highest severity of any shock in the last 12 months",
       "近12个月冲击最高严重程度"),
    _f("shock_loss_12m", "float", "yuan", "other", "estimated losses of shocks in the last 12 months",
       "近12个月冲击估计损失"),
]

_SIGNALS = [
    _f("alerts_3m", "int", "alerts", "other", "department alerts pushed in the last 3 months", "近3个月部门预警次数"),
    _f("alerts_12m", "int", "alerts", "other", "department alerts pushed in the last 12 months", "近12个月部门预警次数"),
    _f("alerts_medical_12m", "int", "alerts", "illness", "medical-insurance alerts in the last 12 months",
       "近12个月医保预警次数"),
    _f("alerts_false_alarm_12m", "int", "alerts", "other",
       "alerts of the last 12 months already closed as false alarm or excluded", "近12个月已核实排除的预警次数"),
    _f("months_since_alert", "float", "months", "other", "months since the latest alert", "距最近一次预警的月数",
       "missing"),
    _f("self_reports_12m", "int", "reports", "other", "self-reports received in the last 12 months",
       "近12个月自主申报次数"),
    _f("self_reports_illness_12m", "int", "reports", "illness", "self-reports of illness in the last 12 months",
       "近12个月因病申报次数"),
    _f("months_since_self_report", "float", "months", "other", "months since the latest self-report",
       "距最近一次自主申报的月数", "missing"),
    _f("open_signals_3m", "int", "signals", "other",
       "alerts and self-reports received in the last 3 months and not closed as false alarm or excluded",
       "近3个月未被排除的预警和申报数"),
    _f("months_since_visit", "float", "months", "other", "months since the latest household visit",
       "距最近一次入户排查的月数", "missing"),
    _f("visit_checklist_failures", "int", "items", "other",
       "items failed on the latest visit's checklist (food, education, medical, housing, water)",
       "最近一次排查“两不愁三保障”及饮水未达标项数"),
    _f("visit_income_gap", "float", "ratio", "work_income",
       "latest visit's per-capita income divided by the latest assessed 12-month per-capita income",
       "入户核查收入与记录收入之比", "missing"),
    _f("visit_income_line_ratio", "float", "ratio", "work_income",
       "latest visit's assessed per-capita income divided by this year's line", "入户核查人均收入与监测标准之比",
       "missing"),
]

_HISTORY = [
    _f("past_cases", "int", "cases", "past_cases", "monitoring cases of the household known so far", "历史监测次数"),
    _f("months_since_elimination", "float", "months", "past_cases", "months since the latest risk elimination",
       "距最近一次风险消除的月数", "missing"),
    _f("reentries", "int", "cases", "past_cases", "cases identified after an earlier elimination", "返贫致贫再纳入次数"),
    _f("assistance_active", "int", "measures", "assistance_ending", "support measures running at the as-of date",
       "在帮扶措施数"),
    _f("assistance_amount_12m", "float", "yuan", "assistance_ending",
       "amount of support measures started in the last 12 months", "近12个月帮扶金额"),
    _f("assistance_ending_3m", "int", "measures", "assistance_ending",
       "running measures whose end date falls within the next 3 months", "3个月内到期的帮扶措施数"),
]

_PLACE = [
    _f("ex_poor", "bool", "", "past_cases", "formerly registered poor household (脱贫户)", "脱贫户", "false"),
    _f("years_since_exit", "float", "years", "past_cases", "years since the household left registered poverty",
       "脱贫年限", "missing"),
    _f("house_unsafe", "bool", "", "housing", "house graded C or D", "住房为C/D级危房", "false"),
    _f("cultivated_land_mu", "float", "mu", "farm_income", "cultivated land", "耕地面积"),
    _f("water_unsafe", "bool", "", "water", "drinking water below the standard", "饮水不安全", "false"),
    _f("key_county", "bool", "", "other", "household lives in a key assistance county", "国家乡村振兴重点帮扶县", "false"),
    _f("relocation_site", "bool", "", "other", "village is a relocation site", "易地搬迁安置点", "false"),
    _f("village_disaster_share_12m", "float", "share", "disaster",
       "share of the village's households with a disaster recorded in the last 12 months", "本村近12个月受灾户占比"),
    _f("village_case_share_12m", "float", "share", "other",
       "share of the village's households with a case identified in the last 12 months", "本村近12个月新识别监测户占比"),
]

FEATURES: tuple[Feature, ...] = tuple(_INCOME + _MEMBERS + _SPENDING + _SHOCKS + _SIGNALS + _HISTORY + _PLACE)
FEATURES_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES_BY_NAME)
PROTECTED_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.protected)


def model_features(include_protected: bool = False) -> tuple[str, ...]:
    """Feature names a model uses: the protected ones only when the training config asks for them."""
    return tuple(f.name for f in FEATURES if include_protected or not f.protected)
