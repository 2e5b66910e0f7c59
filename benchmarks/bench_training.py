"""A full training run, features included, on 50,000 households over 60 months: target under 10 minutes.

The reference measured in the same run is reading the same export with plain pandas.
"""
from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

from benchmarks.bench_features import step_read
from benchmarks.common import measured, print_table, report_step, run_step


def step_simulate(out: str) -> dict:
    from synthetic.export import write_export
    from synthetic.simulate import SimulationConfig, simulate

    result = {"step": "simulate"}
    with measured(result):
        write_export(simulate(SimulationConfig(households=50_000, counties=3, start="2021-01", months=60, seed=7)),
                     Path(out), seed=7, dirty_rate=0.002)
    return result


def step_train(data_dir: str, home: str) -> dict:
    os.environ["STAYOUT_HOME"] = home
    from features.read import read_export
    from training.config import TrainingConfig
    from training.pipeline import train

    result = {"step": "train"}
    with measured(result):
        export = read_export(Path(data_dir))
        outcome = train(export.tables, TrainingConfig(), exported_at=export.exported_at)
    result["roc_auc"] = float(outcome.comparison.loc["roc_auc", "model"])
    return result


def run(workdir: Path) -> dict:
    data_dir, home = workdir / "training-county", workdir / "training-home"
    shutil.rmtree(home, ignore_errors=True)
    if not (data_dir / "truth" / "manifest.json").exists():
        run_step("benchmarks.bench_training", "--step", "simulate", str(data_dir))
    read = run_step("benchmarks.bench_features", "--step", "read", str(data_dir))
    trained = run_step("benchmarks.bench_training", "--step", "train", str(data_dir), "--home", str(home))
    ok = trained["seconds"] < 600
    print_table("full training run, 50,000 households over 60 months", [
        ("reference: plain Parquet read", f"{read['seconds']:.1f} s"),
        ("read, validate, features, train, evaluate, log", f"{trained['seconds']:.1f} s, peak "
         f"{trained['peak_gib']:.2f} GiB (target < 600 s) {'OK' if ok else 'MISSED'}"),
        ("ratio to plain read", f"{trained['seconds'] / read['seconds']:.0f}x"),
        ("test ROC-AUC", f"{trained['roc_auc']:.3f}"),
    ])
    return {"training_seconds": trained["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", choices=("simulate", "train"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--home", default=".stayout/bench/training-home")
    args = parser.parse_args()
    if args.step == "simulate":
        report_step(step_simulate(str(args.path)))
    elif args.step == "train":
        report_step(step_train(str(args.path), args.home))
    else:
        run(args.path)


if __name__ == "__main__":
    main()
