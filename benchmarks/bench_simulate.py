"""Generator speed: 100,000 households over 48 months; target under 5 minutes and 6 GiB.

The reference measured in the same run is reading the generated export back with plain pandas.
"""
from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pandas as pd

from benchmarks.common import measured, print_table, report_step, run_step


def step_simulate(out: str, households: int, months: int) -> dict:
    from synthetic.export import write_export
    from synthetic.simulate import SimulationConfig, simulate

    result = {"step": "simulate"}
    with measured(result):
        simulation = simulate(SimulationConfig(households=households, counties=3, start="2021-01",
                                               months=months, seed=11))
        summary = write_export(simulation, Path(out), file_format="parquet", dirty_rate=0.002, seed=11)
    result["rows"] = summary.rows
    return result


def step_read(out: str) -> dict:
    result = {"step": "read"}
    with measured(result):
        rows = sum(len(pd.read_parquet(path)) for path in Path(out).glob("*.parquet"))
    result["rows"] = rows
    return result


def run(households: int, months: int, workdir: Path) -> dict:
    out = workdir / "simulated"
    shutil.rmtree(out, ignore_errors=True)
    made = run_step("benchmarks.bench_simulate", "--step", "simulate", str(out),
                    "--households", str(households), "--months", str(months))
    read = run_step("benchmarks.bench_simulate", "--step", "read", str(out))
    ok = made["seconds"] < 300 and made["peak_gib"] < 6
    print_table(f"simulate {households:,} households over {months} months (parquet, dirty rate 0.002)", [
        ("simulate + write", f"{made['seconds']:.1f} s, peak {made['peak_gib']:.2f} GiB, {made['rows']:,} rows "
                             f"(target < 300 s and < 6 GiB) {'OK' if ok else 'MISSED'}"),
        ("reference: plain read", f"{read['seconds']:.1f} s, peak {read['peak_gib']:.2f} GiB"),
        ("ratio to plain read", f"{made['seconds'] / read['seconds']:.1f}x"),
    ])
    return {"simulate_seconds": made["seconds"], "simulate_peak_gib": made["peak_gib"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", choices=("simulate", "read"))
    parser.add_argument("out", nargs="?")
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=48)
    parser.add_argument("--workdir", type=Path, default=Path(".stayout/bench"))
    args = parser.parse_args()
    if args.step == "simulate":
        report_step(step_simulate(args.out, args.households, args.months))
    elif args.step == "read":
        report_step(step_read(args.out))
    else:
        run(args.households, args.months, args.workdir)


if __name__ == "__main__":
    main()
