"""A hand-written export of three households in one village, as a county clerk would write it."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.contract import TABLE_NAMES


def tiny_tables() -> dict[str, pd.DataFrame]:
    """Every table as text, exactly as it would sit in CSV files; every row valid."""
    t = {}
    t["areas"] = _frame(
        "village_code,township_code,county_code,province_code,key_county,relocation_site,recorded_at",
        "520102001001,520102001,520102,52,true,false,2020-12-01",
    )
    t["monitoring_lines"] = _frame(
        "county_code,year,line_yuan,dibao_yuan,prev_rural_income_yuan,recorded_at",
        "520102,2022,6900,5400,12856,2021-12-20",
        "520102,2023,7400,5760,13707,2022-12-20",
    )
    t["households"] = _frame(
        "household_id,village_code,household_type,exit_year,house_grade,cultivated_land_mu,water_ok,dissolved_on,recorded_at",
        "H001,520102001001,ex_poor,2019,B,3.5,true,,2021-01-05",
        "H002,520102001001,ordinary,,A,6,true,,2021-01-05",
        "H003,520102001001,ex_poor,2020,C,1.2,false,,2021-01-05",
        "H001,520102001001,ex_poor,2019,A,3.5,true,,2022-09-01 10:00:00",
    )
    t["members"] = _frame(
        "person_id,household_id,relation,birth_year,sex,minority,education,in_school,health,disability_grade,"
        "labour,migrant_months,medical_insured,joined_on,left_on,recorded_at",
        "P0011,H001,head,1968,M,false,primary,false,chronic,,partial,0,true,1968-05-01,,2021-01-05",
        "P0012,H001,spouse,1970,F,false,none,false,healthy,,full,6,true,1990-03-01,,2021-01-05",
        "P0013,H001,child,2010,F,false,junior,true,healthy,,none,0,true,2010-07-01,,2021-01-05",
        "P0021,H002,head,1955,M,true,junior,false,disabled,2,none,0,true,1955-01-01,,2021-01-05",
        "P0031,H003,head,1980,F,false,senior,false,healthy,,full,10,true,1980-01-01,,2021-01-05",
        "P0032,H003,parent,1950,M,false,none,false,serious,,none,0,true,1980-01-01,,2021-01-05",
    )
    t["income"] = _frame(
        "household_id,period_start,period_end,source,amount_yuan,data_source,recorded_at",
        "H001,2022-06-01,2022-06-30,wage_migrant,4200,department,2022-07-25",
        "H001,2022-06-01,2022-06-30,wage_migrant,3900,survey,2022-08-10",
        "H001,2022-04-01,2022-06-30,agriculture,1500,survey,2022-07-20",
        "H002,2022-06-01,2022-06-30,pension,180,department,2022-07-15",
        "H003,2022-06-01,2022-06-30,wage_local,2600,self_report,2022-07-03",
    )
    t["expenditures"] = _frame(
        "household_id,period_start,period_end,category,amount_yuan,data_source,recorded_at",
        "H003,2022-05-01,2022-05-31,medical_oop,14500,department,2022-06-28",
        "H003,2022-05-01,2022-05-31,medical_total,32000,department,2022-06-28",
    )
    t["events"] = _frame(
        "event_id,household_id,person_id,event_type,occurred_on,severity,est_loss_yuan,data_source,recorded_at",
        "E1,H003,P0032,illness_major,2022-05-10,3,30000,department,2022-06-28",
        "E2,H001,,disaster_flood,2022-07-02,2,,survey,2022-07-20",
    )
    t["alerts"] = _frame(
        "alert_id,household_id,department,rule_code,value,pushed_at,outcome,resolved_at,recorded_at",
        "A1,H003,medical_insurance,MI-OOP-6000,14500,2022-07-01 09:00:00,identified,2022-07-12,2022-07-01 09:00:00",
    )
    t["self_reports"] = _frame(
        "report_id,household_id,channel,difficulty,received_at,outcome,resolved_at,recorded_at",
        "R1,H001,app,disaster,2022-07-05 18:20:00,,,2022-07-06",
    )
    t["visits"] = _frame(
        "visit_id,household_id,visited_on,food_clothing_ok,education_ok,medical_ok,housing_ok,water_ok,"
        "income_pc_12m_yuan,recorded_at",
        "V1,H003,2022-07-08,true,true,false,false,false,5200,2022-07-20",
    )
    t["cases"] = _frame(
        "case_id,household_id,category,risk_codes,discovered_on,channel,identified_on,eliminated_on,recorded_at",
        "C1,H003,unstable,illness;housing,2022-07-01,alert,2022-07-12,,2022-07-13",
    )
    t["assistance"] = _frame(
        "measure_id,household_id,measure,start_on,end_on,amount_yuan,recorded_at",
        "M1,H003,medical_aid,2022-07-15,2022-12-31,8000,2022-07-16",
    )
    return t


def _frame(header: str, *rows: str) -> pd.DataFrame:
    columns = header.split(",")
    data = [row.split(",") for row in rows]
    return pd.DataFrame(data, columns=columns, dtype="str")


def write_tiny_export(folder: Path, tables: dict[str, pd.DataFrame] | None = None, file_format: str = "csv") -> Path:
    tables = tables or tiny_tables()
    folder.mkdir(parents=True, exist_ok=True)
    for name in TABLE_NAMES:
        if file_format == "csv":
            tables[name].to_csv(folder / f"{name}.csv", index=False)
        else:
            tables[name].to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def with_row(tables: dict[str, pd.DataFrame], table: str, **changes: str) -> dict[str, pd.DataFrame]:
    """A copy of `tables` with one more row in `table`: its first row with `changes` applied."""
    out = {name: frame.copy() for name, frame in tables.items()}
    row = out[table].iloc[[0]].copy()
    for column, value in changes.items():
        row[column] = value
    out[table] = pd.concat([out[table], row], ignore_index=True)
    return out


def hand_tables() -> dict[str, pd.DataFrame]:
    """`tiny_tables` plus the stories the feature and label tests compute by hand.

    - H001: June 2022 wage reported by the department (4200) and by a survey (3900), known late;
      quarterly department business income from Q3 2022; the autumn 2022 visit assesses
      October 2021 - September 2022 (recorded 2022-11-15) and the autumn 2023 visit October 2022 -
      September 2023 (recorded 2023-11-20), as quarterly survey rows; a case identified 2023-03-01.
    - H002: the spouse P0022 leaves on 2022-03-10, recorded 2022-03-20. No survey before July 2022
      (an unassessed year); from Q3 2022 to Q3 2023 a survey found no income from the sources it
      covers: zero rows of source `other` (assessed months with zero income), recorded 2023-11-20.
    - H003: a hospital bill of May 2022 (14,500 out of pocket) recorded only on 2022-06-28. June
      2022 holds only a self-reported wage and a department dibao transfer (not assessed); a
      survey assesses Q3 2022 to Q2 2023 (local wages, 2,000 a quarter), recorded 2023-07-20.
    - A visit recorded 2024-01-10 ends the export, so labels of 2022-09-01 are final.
    """
    t = tiny_tables()
    autumn_2022 = [f"H001,{start},{end},{source},{amount},survey,2022-11-15"
                   for start, end in (("2021-10-01", "2021-12-31"), ("2022-01-01", "2022-03-31"),
                                      ("2022-07-01", "2022-09-30"))
                   for source, amount in (("wage_migrant", 9000), ("agriculture", 1500))]
    autumn_2023 = [f"H001,{start},{end},{source},{amount},survey,2023-11-20"
                   for start, end in (("2022-10-01", "2022-12-31"), ("2023-01-01", "2023-03-31"),
                                      ("2023-04-01", "2023-06-30"), ("2023-07-01", "2023-09-30"))
                   for source, amount in (("wage_migrant", 9000), ("agriculture", 1500))]
    quarters = (("2022-07-01", "2022-09-30"), ("2022-10-01", "2022-12-31"), ("2023-01-01", "2023-03-31"),
                ("2023-04-01", "2023-06-30"))
    extra = {
        "members": [
            "P0022,H002,spouse,1958,F,true,none,false,healthy,,partial,0,true,1980-01-01,,2021-01-05",
            "P0022,H002,spouse,1958,F,true,none,false,healthy,,partial,0,true,1980-01-01,2022-03-10,2022-03-20",
        ],
        "income": [
            "H001,2022-07-01,2022-09-30,business,15000,department,2022-10-20",
            "H001,2022-10-01,2022-12-31,business,15000,department,2023-01-20",
            "H001,2023-01-01,2023-03-31,business,15000,department,2023-04-20",
            "H001,2023-04-01,2023-06-30,business,15000,department,2023-07-20",
            *autumn_2022, *autumn_2023,
            *[f"H002,{start},{end},other,0,survey,2023-11-20" for start, end in (*quarters, ("2023-07-01", "2023-09-30"))],
            "H003,2022-06-01,2022-06-30,dibao,450,department,2022-07-10",
            *[f"H003,{start},{end},wage_local,2000,survey,2023-07-20" for start, end in quarters],
        ],
        "cases": ["C2,H001,unstable,unemployment,2023-02-20,visit,2023-03-01,,2023-03-02"],
        "visits": ["V2,H002,2024-01-05,true,true,true,true,true,,2024-01-10"],
    }
    for name, rows in extra.items():
        more = pd.DataFrame([row.split(",") for row in rows], columns=t[name].columns, dtype="str")
        t[name] = pd.concat([t[name], more], ignore_index=True)
    return t
