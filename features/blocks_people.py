"""Member features: size, ages, labour, health, schooling and who joined or left."""
from __future__ import annotations

import numpy as np

from features.context import AsOf
from features.history import ages

ELDERLY_AGE = 60
CHILD_AGE = 16
WORKING_AGE_MAX = 64
SCHOOL_AGES = (6, 15)
MAX_DEPENDENCY = 10.0
SCHOOLING_YEARS = {"none": 0.0, "primary": 6.0, "junior": 9.0, "senior": 12.0, "vocational": 12.0, "tertiary": 15.0}


def member_features(ctx: AsOf) -> dict[str, np.ndarray]:
    members, codes = ctx.members, ctx.member_codes
    age = ages(members, ctx.as_of)
    head = members.equals("relation", "head")

    def count(mask: np.ndarray) -> np.ndarray:
        return ctx.dense(codes[mask])

    def health(state: str) -> np.ndarray:
        return members.equals("health", state)

    dependants = count((age < CHILD_AGE) | (age >= ELDERLY_AGE))
    working_age = count((age >= CHILD_AGE) & (age < ELDERLY_AGE))
    with np.errstate(divide="ignore", invalid="ignore"):
        dependency = np.where(working_age > 0, dependants / np.maximum(working_age, 1), MAX_DEPENDENCY)
    capacity = np.select([members.equals("labour", "full"), members.equals("labour", "partial")], [1.0, 0.5], 0.0)
    out = {
        "household_size": ctx.size,
        "dependency_ratio": np.minimum(dependency, MAX_DEPENDENCY),
        "workers": count(~members.equals("labour", "none") & (age >= CHILD_AGE) & (age <= WORKING_AGE_MAX)),
        "labour_capacity": ctx.dense(codes, capacity),
        "migrant_workers": count(members.numbers("migrant_months") > 0),
        "elderly_only": (ctx.size > 0) & (count(age < ELDERLY_AGE) == 0),
        "head_age": _head_value(ctx, head, age.astype(float)),
        "head_schooling_years": _head_value(ctx, head, members.mapped("education", SCHOOLING_YEARS)),
        "chronic_members": count(health("chronic")),
        "serious_illness_members": count(health("serious")),
        "disabled_members": count(health("disabled")),
        "severely_disabled_members": count(health("disabled") & (members.numbers("disability_grade") <= 2)),
        "uninsured_members": count(members.numbers("medical_insured") == 0),
        "children_compulsory_school": count((age >= SCHOOL_AGES[0]) & (age <= SCHOOL_AGES[1])),
        "students": count(members.numbers("in_school") == 1),
        "head_female": _head_value(ctx, head, members.equals("sex", "F").astype(float)) == 1,
        "head_minority": _head_value(ctx, head, members.numbers("minority")) == 1,
    }
    out.update(_movements(ctx))
    return out


def _head_value(ctx: AsOf, head: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The head's value per household code (the first head listed; NaN without a head)."""
    out = np.full(ctx.n, np.nan)
    codes = ctx.member_codes[head]
    _, first = np.unique(codes, return_index=True)
    out[codes[first]] = values[head][first]
    return out


def _movements(ctx: AsOf) -> dict[str, np.ndarray]:
    """Members who joined or left in the 12 months before the as-of date (latest known rows)."""
    latest, codes = ctx.latest_members, ctx.latest_member_codes
    start = ctx.moment_ago(12)
    joined_on, left_on = latest["joined_on"], latest["left_on"]
    joined = (joined_on >= start) & (joined_on < ctx.moment)
    left = (left_on >= start) & (left_on < ctx.moment)
    valid = codes >= 0
    return {
        "members_joined_12m": ctx.dense(codes[joined & valid]),
        "members_left_12m": ctx.dense(codes[left & valid]),
    }
