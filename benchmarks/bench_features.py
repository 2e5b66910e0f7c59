"""Feature building: 100,000 households over 48 months, one as-of date and twelve monthly ones.

Targets: one date under 60 s and 8 GiB; twelve dates in one call at most 4x one date. The
reference measured in the same run is reading the same tables from Parquet with plain pandas.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from benchmarks.common import measured, print_table, report_step, run_step

ONE_DATE = ["2024-07-01"]
TWELVE_DATES = [str(d.date()) for d in pd.date_range("2023-08-01", periods=12, freq="MS")]


def step_features(data_dir: str, dates: list[str]) -> dict:
    from features.build import build_features
    from features.read import read_export

    result = {"step": f"features x{len(dates)}"}
    with measured(result):
        start = time.perf_counter()
        export = read_export(Path(data_dir))
        result["validate_seconds"] = round(time.perf_counter() - start, 2)
        frame = build_features(export.tables, [pd.Timestamp(d) for d in dates])
    result["build_seconds"] = round(result["seconds"] - result["validate_seconds"], 2)
    result["rows"] = len(frame)
    return result


def step_read(data_dir: str) -> dict:
    result = {"step": "read"}
    with measured(result):
        result["rows"] = sum(len(pd.read_parquet(path)) for path in Path(data_dir).glob("*.parquet"))
    return result


def run(data_dir: Path) -> dict:
    read = run_step("benchmarks.bench_features", "--step", "read", str(data_dir))
    one = run_step("benchmarks.bench_features", "--step", "features", str(data_dir), "--dates", *ONE_DATE)
    twelve = run_step("benchmarks.bench_features", "--step", "features", str(data_dir), "--dates", *TWELVE_DATES)
    ok_one = one["build_seconds"] < 60 and one["peak_gib"] < 8
    ratio_twelve = twelve["build_seconds"] / one["build_seconds"]
    print_table(f"features of {data_dir}", [
        ("reference: plain Parquet read", f"{read['seconds']:.1f} s ({read['rows']:,} rows)"),
        ("validate (read_export)", f"{one['validate_seconds']:.1f} s"),
        ("one as-of date", f"{one['build_seconds']:.1f} s, {one['rows'] / one['build_seconds']:,.0f} households/s, "
                           f"peak {one['peak_gib']:.2f} GiB (target < 60 s, < 8 GiB) {'OK' if ok_one else 'MISSED'}"),
        ("ratio to plain read", f"{one['build_seconds'] / read['seconds']:.1f}x"),
        ("twelve monthly dates", f"{twelve['build_seconds']:.1f} s, {ratio_twelve:.1f}x one date (target <= 4x) "
                                 f"{'OK' if ratio_twelve <= 4 else 'MISSED'}, peak {twelve['peak_gib']:.2f} GiB"),
    ])
    return {"features_one_date_seconds": one["build_seconds"], "features_twelve_ratio": ratio_twelve}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", choices=("features", "read"))
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--dates", nargs="*", default=ONE_DATE)
    args = parser.parse_args()
    if args.step == "features":
        report_step(step_features(str(args.data_dir), args.dates))
    elif args.step == "read":
        report_step(step_read(str(args.data_dir)))
    else:
        run(args.data_dir)


if __name__ == "__main__":
    main()
