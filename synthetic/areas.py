"""Where households live: province, counties, townships, villages, and each county's yearly lines."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthetic.months import MonthGrid, SECONDS_PER_DAY
from synthetic.frames import as_str, as_timestamps

PROVINCE_CODE = "62"
HOUSEHOLDS_PER_VILLAGE = 90
VILLAGES_PER_TOWNSHIP = 8
LINE_2021_RANGE = (6_000.0, 6_600.0)
LINE_GROWTH_RANGE = (0.07, 0.09)
DIBAO_SHARE_OF_LINE = (0.72, 0.85)
PROVINCE_RURAL_INCOME_2020 = 10_350.0
PROVINCE_RURAL_INCOME_GROWTH = 0.08


@dataclass(frozen=True)
class Geography:
    village_codes: np.ndarray        # object array of 12-digit codes
    village_county: np.ndarray       # county position of each village
    county_codes: np.ndarray         # object array of 6-digit codes
    key_county: np.ndarray           # bool per county
    relocation_site: np.ndarray      # bool per village
    line_years: np.ndarray           # years covered by the line tables
    line_yuan: np.ndarray            # (county, year) monitoring line
    dibao_yuan: np.ndarray           # (county, year)
    prev_rural_income_yuan: np.ndarray  # (year,) province-wide

    def year_position(self, year: int) -> int:
        return int(year - self.line_years[0])


def build_geography(rng: np.random.Generator, households: int, counties: int, grid: MonthGrid) -> Geography:
    villages = max(2 * counties, int(round(households / HOUSEHOLDS_PER_VILLAGE)))
    village_county = np.sort(rng.integers(0, counties, villages))
    village_county[:counties] = np.arange(counties)        # every county holds a village
    village_county = np.sort(village_county)
    county_codes = np.array([f"{PROVINCE_CODE}{5 + c // 20:02d}{21 + c % 20:02d}" for c in range(counties)], dtype=object)
    village_codes = np.empty(villages, dtype=object)
    for county in range(counties):
        members = np.flatnonzero(village_county == county)
        township = np.arange(members.size) // VILLAGES_PER_TOWNSHIP
        within = np.arange(members.size) % VILLAGES_PER_TOWNSHIP
        village_codes[members] = [
            f"{county_codes[county]}{100 + t:03d}{200 + v:03d}" for t, v in zip(township, within)
        ]
    first_year = grid.year(0)
    last_year = grid.year(grid.total_months - 1) + 2          # label horizon beyond the data
    years = np.arange(first_year, last_year + 1)
    line_2021 = rng.uniform(*LINE_2021_RANGE, counties)
    growth = rng.uniform(*LINE_GROWTH_RANGE, counties)
    line = np.round(line_2021[:, None] * (1 + growth[:, None]) ** (years[None, :] - 2021), -1)
    dibao = np.round(line * rng.uniform(*DIBAO_SHARE_OF_LINE, counties)[:, None], -1)
    prev_income = np.round(PROVINCE_RURAL_INCOME_2020 * (1 + PROVINCE_RURAL_INCOME_GROWTH) ** (years - 1 - 2020))
    return Geography(
        village_codes=village_codes, village_county=village_county, county_codes=county_codes,
        key_county=rng.random(counties) < 0.8, relocation_site=rng.random(villages) < 0.08,
        line_years=years, line_yuan=line, dibao_yuan=dibao, prev_rural_income_yuan=prev_income,
    )


def areas_table(geo: Geography, grid: MonthGrid, rng: np.random.Generator) -> pd.DataFrame:
    codes = geo.village_codes.astype(str)
    recorded = grid.first_day(0) * SECONDS_PER_DAY + rng.integers(9 * 3600, 17 * 3600, codes.size)
    return pd.DataFrame({
        "village_code": as_str(codes),
        "township_code": as_str([c[:9] for c in codes]),
        "county_code": as_str([c[:6] for c in codes]),
        "province_code": as_str([c[:2] for c in codes]),
        "key_county": geo.key_county[geo.village_county],
        "relocation_site": geo.relocation_site,
        "recorded_at": as_timestamps(recorded),
    })


def monitoring_lines_table(geo: Geography, grid: MonthGrid, rng: np.random.Generator) -> pd.DataFrame:
    """One row per county and year; a year's line is published in December of the year before,
    and lines for years after the export are the planned ones, known at the export cut."""
    counties, years = geo.line_yuan.shape
    county_pos = np.repeat(np.arange(counties), years)
    year = np.tile(geo.line_years, counties)
    published = (np.array([f"{y - 1}-12-01" for y in year], dtype="datetime64[D]").astype(np.int64)
                 + rng.integers(0, 20, year.size))
    published = np.clip(published, grid.first_day(0), grid.export_cut_day - 2)
    recorded = published * SECONDS_PER_DAY + rng.integers(9 * 3600, 17 * 3600, year.size)
    return pd.DataFrame({
        "county_code": as_str(geo.county_codes[county_pos]),
        "year": year.astype(np.int64),
        "line_yuan": geo.line_yuan.ravel().astype(float),
        "dibao_yuan": geo.dibao_yuan.ravel().astype(float),
        "prev_rural_income_yuan": np.tile(geo.prev_rural_income_yuan, counties).astype(float),
        "recorded_at": as_timestamps(recorded),
    })
