"""Member features: size, ages, labour, health, schooling and who joined or left."""
from __future__ import annotations

import numpy as np
import pandas as pd

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
    age = ages(members, ctx.as_of).to_numpy()
    labour = members["labour"].astype("str").to_numpy()
    health = members["health"].astype("str").to_numpy()
    head = (members["relation"] == "head").to_numpy()

    def count(mask: np.ndarray) -> np.ndarray:
        return ctx.dense(codes[mask])

    dependants = count((age < CHILD_AGE) | (age >= ELDERLY_AGE))
    working_age = count((age >= CHILD_AGE) & (age < ELDERLY_AGE))
    with np.errstate(divide="ignore", invalid="ignore"):
        dependency = np.where(working_age > 0, dependants / np.maximum(working_age, 1), MAX_DEPENDENCY)
    capacity = np.select([labour == "full", labour == "partial"], [1.0, 0.5], 0.0)
    out = {
        "household_size": ctx.size,
        "dependency_ratio": np.minimum(dependency, MAX_DEPENDENCY),
        "workers": count((labour != "none") & (age >= CHILD_AGE) & (age <= WORKING_AGE_MAX)),
        "labour_capacity": ctx.dense(codes, capacity),
        "migrant_workers": count(members["migrant_months"].to_numpy() > 0),
        "elderly_only": (ctx.size > 0) & (count(age < ELDERLY_AGE) == 0),
        "head_age": _head_value(ctx, head, age.astype(float)),
        "head_schooling_years": _head_value(ctx, head, members["education"].astype("str").map(
            SCHOOLING_YEARS).to_numpy(dtype=float)),
        "chronic_members": count(health == "chronic"),
        "serious_illness_members": count(health == "serious"),
        "disabled_members": count(health == "disabled"),
        "severely_disabled_members": count((health == "disabled")
                                           & (members["disability_grade"].fillna(9).to_numpy() <= 2)),
        "uninsured_members": count(~members["medical_insured"].to_numpy(dtype=bool)),
        "children_compulsory_school": count((age >= SCHOOL_AGES[0]) & (age <= SCHOOL_AGES[1])),
        "students": count(members["in_school"].to_numpy(dtype=bool)),
        "head_female": _head_value(ctx, head, (members["sex"] == "F").to_numpy(dtype=float)) == 1,
        "head_minority": _head_value(ctx, head, members["minority"].to_numpy(dtype=float)) == 1,
    }
    out.update(_movements(ctx))
    return out


def _head_value(ctx: AsOf, head: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The head's value per household code (the first head listed; NaN without a head)."""
    out = np.full(ctx.n, np.nan)
    codes = ctx.member_codes[head]
    first = pd.Index(codes).duplicated(keep="first")
    out[codes[~first]] = values[head][~first]
    return out


def _movements(ctx: AsOf) -> dict[str, np.ndarray]:
    """Members who joined or left in the 12 months before the as-of date (latest known rows)."""
    latest = ctx.latest_members
    codes = ctx.prepared.index.codes(latest["household_id"])
    start = ctx.months_ago(12)
    joined = ((latest["joined_on"] >= start) & (latest["joined_on"] < ctx.as_of)).to_numpy()
    left = (latest["left_on"].notna() & (latest["left_on"] >= start) & (latest["left_on"] < ctx.as_of)).to_numpy()
    valid = codes >= 0
    return {
        "members_joined_12m": ctx.dense(codes[joined & valid]),
        "members_left_12m": ctx.dense(codes[left & valid]),
    }
