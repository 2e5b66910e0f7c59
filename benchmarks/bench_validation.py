"""Validation speed: rows per second on 10 million income rows, against plain pandas reading.

Target: reading and validating the income table takes at most 3x reading it with plain pandas
(`pd.read_csv(path)`, nothing else). Each side runs several times in fresh processes, the sides
alternating, and each is timed by its best run: on a shared 2-core machine a single run of
either side varies by 2-3x.

A third side shows what one rejected row costs: the same file with one negative amount, which
is read a second time with every column as text so that its quarantine shows the file's own text.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.common import measured, print_table, report_step, run_step

SOURCES = ("wage_local", "wage_migrant", "agriculture", "pension", "dibao", "subsidy")
DATA_SOURCES = ("department", "survey", "self_report")
REPEATS = 3  # each side's time is its best run; this machine's load varies between runs


def make_income_csv(path: Path, rows: int, seed: int = 1) -> int:
    """A valid income table of `rows` rows, with the households it references (written as CSV)."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2020-01", periods=60, freq="M")
    households = max(rows // 50, 1)
    month_index = rng.integers(0, len(months), rows)
    period_start = months.start_time[month_index]
    period_end = months.end_time[month_index].normalize()
    lag_days = rng.integers(1, 60, rows)
    frame = pd.DataFrame({
        "household_id": pd.Series(rng.integers(0, households, rows)).map("H{:07d}".format),
        "period_start": period_start.strftime("%Y-%m-%d"),
        "period_end": period_end.strftime("%Y-%m-%d"),
        "source": np.array(SOURCES)[rng.integers(0, len(SOURCES), rows)],
        "amount_yuan": np.round(rng.gamma(2.0, 800.0, rows), 2),
        "data_source": np.array(DATA_SOURCES)[rng.integers(0, 3, rows)],
        "recorded_at": (period_end + pd.to_timedelta(lag_days, unit="D")).strftime("%Y-%m-%d"),
    })
    frame.to_csv(path, index=False)
    return households


def step_plain(path: str) -> dict:
    result = {"step": "plain"}
    with measured(result):
        frame = pd.read_csv(path)
    result["rows"] = len(frame)
    return result


def make_dirty_copy(clean: Path, dirty: Path) -> None:
    """The clean file with its first row's amount negative: one row to quarantine."""
    with open(clean, "rb") as source, open(dirty, "wb") as target:
        header, first = source.readline(), source.readline().split(b",")
        first[4] = b"-" + first[4]  # amount_yuan
        target.write(header + b",".join(first))
        while block := source.read(1 << 24):
            target.write(block)


def step_validate(path: str, households: int) -> dict:
    from features.contract import table
    from features.read import original_text_result, read_raw_table
    from features.validate import _References, validate_table

    known = pd.DataFrame({"household_id": pd.Series([f"H{i:07d}" for i in range(households)], dtype="str")})
    references = _References()
    references.add("households", known)
    result = {"step": "validate"}
    with measured(result):
        raw = read_raw_table(Path(path), "income")
        outcome = original_text_result(validate_table(table("income"), raw, references), Path(path))
    result.update(rows=outcome.read, accepted=len(outcome.accepted), quarantined=len(outcome.quarantined))
    return result


def run(rows: int, workdir: Path, repeats: int = REPEATS) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    path, dirty = workdir / f"income-{rows}.csv", workdir / f"income-{rows}-one-bad-row.csv"
    households = max(rows // 50, 1)
    if not path.exists():  # the same seed always writes the same file
        make_income_csv(path, rows)
    if not dirty.exists():
        make_dirty_copy(path, dirty)
    for file in (path, dirty):
        _warm_page_cache(file)
    sides = {
        "plain": ("--step", "plain", str(path)),
        "validate": ("--step", "validate", str(path), "--households", str(households)),
        "dirty": ("--step", "validate", str(dirty), "--households", str(households)),
    }
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    for round_number in range(repeats):  # alternate which side goes first: load on this machine drifts
        order = list(sides) if round_number % 2 == 0 else list(reversed(sides))
        for side in order:
            runs[side].append(run_step("benchmarks.bench_validation", *sides[side]))
    plain, checked, dirty_run = (min(runs[side], key=lambda run: run["seconds"]) for side in sides)
    ratio = checked["seconds"] / plain["seconds"]
    median_ratio = _median(runs["validate"]) / _median(runs["plain"])
    print_table(f"validation of {rows:,} income rows (CSV), best of {repeats} fresh processes each", [
        ("plain pandas read_csv", f"{plain['seconds']:.2f} s (all: {_seconds(runs['plain'])}), "
                                  f"peak {plain['peak_gib']:.2f} GiB"),
        ("read + validate", f"{checked['seconds']:.2f} s (all: {_seconds(runs['validate'])}), "
                            f"peak {checked['peak_gib']:.2f} GiB, "
                            f"{checked['accepted']:,} accepted, {checked['quarantined']:,} quarantined"),
        ("rows per second", f"{rows / checked['seconds']:,.0f}"),
        ("ratio to plain read", f"{ratio:.2f}x best to best, {median_ratio:.2f}x median to median "
                                f"(target <= 3x) {'OK' if ratio <= 3 else 'MISSED'}"),
        ("with one bad row", f"{dirty_run['seconds']:.2f} s (all: {_seconds(runs['dirty'])}), "
                             f"peak {dirty_run['peak_gib']:.2f} GiB, {dirty_run['quarantined']:,} quarantined, "
                             f"{dirty_run['seconds'] / plain['seconds']:.2f}x plain (the file is read again as text)"),
    ])
    return {"validation_ratio": ratio, "validation_median_ratio": median_ratio,
            "validation_one_bad_row_seconds": dirty_run["seconds"],
            "validation_seconds": checked["seconds"], "plain_read_seconds": plain["seconds"],
            "validation_rows_per_s": rows / checked["seconds"]}


def _warm_page_cache(path: Path) -> None:
    """Read the file once, untimed, so neither side pays for the disk (both then read from memory)."""
    with open(path, "rb") as handle:
        while handle.read(1 << 24):
            pass


def _seconds(runs: list[dict]) -> str:
    return ", ".join(f"{run['seconds']:.2f}" for run in runs)


def _median(runs: list[dict]) -> float:
    return float(np.median([run["seconds"] for run in runs]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", choices=("plain", "validate"))
    parser.add_argument("path", nargs="?")
    parser.add_argument("--households", type=int, default=0)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(".stayout/bench"))
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    if args.step == "plain":
        report_step(step_plain(args.path))
    elif args.step == "validate":
        report_step(step_validate(args.path, args.households))
    else:
        run(args.rows, args.workdir, args.repeats)


if __name__ == "__main__":
    main()
