"""Explanations per second against plain predictions of the same rows, for the model the training
benchmark registered (50,000 households over 60 months, the default configuration).

Exact contributions (LightGBM's TreeSHAP, `pred_contrib`) cost far more than a prediction: the
ratio printed is what batch scoring and the service pay per explained household, and why they
explain only the rows a case worker sees.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import pandas as pd

from benchmarks.common import measured, print_table, report_step, run_step

ROWS = 20_000
AS_OF = "2025-06-01"


def step_explain(data_dir: str, home: str) -> dict:
    os.environ["STAYOUT_HOME"] = home
    from features.build import build_features
    from features.read import read_export
    from models import registry
    from models.explain import explain

    export = read_export(Path(data_dir))
    rows = build_features(export.tables, [pd.Timestamp(AS_OF)]).head(ROWS)
    bundle, found = registry.load_bundle("stayout-relapse", registry.CHAMPION)
    result = {"step": "explain", "rows": len(rows), "trees": bundle.booster.num_trees(),
              "leaves": int(bundle.booster.params.get("num_leaves", 31)), "threads": os.cpu_count()}
    best = {}
    for name, work in (("predict", lambda: bundle.predict(rows)), ("explain", lambda: explain(bundle, rows))):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        best[name] = min(times)
    with measured(result):
        explain(bundle, rows)
    result.update(predict_seconds=round(best["predict"], 3), explain_seconds=round(best["explain"], 3))
    return result


def run(workdir: Path) -> dict:
    data_dir, home = workdir / "training-county", workdir / "training-home"
    if not (home / "mlflow.db").exists():
        raise RuntimeError("the explanation benchmark needs the model of the training benchmark; run it first")
    result = run_step("benchmarks.bench_explain", "--step", "explain", str(data_dir), "--home", str(home))
    per_second = {name: result["rows"] / result[f"{name}_seconds"] for name in ("predict", "explain")}
    print_table(f"explanations, {result['rows']:,} rows, {result['trees']} trees, {result['threads']} threads", [
        ("reference: plain prediction (calibrated score)", f"{per_second['predict']:,.0f} rows/s"),
        ("explanation (contributions, families, score, band)", f"{per_second['explain']:,.0f} rows/s, peak "
                                                                f"{result['peak_gib']:.2f} GiB"),
        ("ratio", f"an explanation costs {per_second['predict'] / per_second['explain']:.0f} predictions"),
    ])
    return {"explanations_per_second": per_second["explain"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", choices=("explain",))
    parser.add_argument("path", type=Path)
    parser.add_argument("--home", default=".stayout/bench/training-home")
    args = parser.parse_args()
    if args.step == "explain":
        report_step(step_explain(str(args.path), args.home))
    else:
        run(args.path)


if __name__ == "__main__":
    main()
