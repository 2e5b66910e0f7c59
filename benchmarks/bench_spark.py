"""Batch scoring of 200,000 households with 48 months of history on both engines: pandas (the
reference, in the same run) and Spark on local[2], and what a cluster run of 10 million would take.

The export is the 100,000-household simulated export (`bench_simulate`) twice under new ids, each
record table a folder of two Parquet parts (cached between runs). Both engines run `stayout score`
end to end in their own process with the model the training benchmark registered; the pandas run
writes no online store, as the Spark engine does not. The Spark run's village pass is spread over
`PARTITIONS` shuffle partitions: its wall time times the two cores, over the partitions, is the
measured cost of one partition, from which a 10-million-household run on a cluster is estimated.
"""
from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path

from benchmarks.bench_scoring import AS_OF, build_export
from benchmarks.common import measured, print_table, report_step, run_step

COPIES = 2
PARTITIONS = 16
CORES = 2
PROVINCE = 10_000_000
CLUSTER_CORES = (64, 256)


def step_score(engine: str, data_dir: str, home: str, out: str) -> dict:
    os.environ["STAYOUT_HOME"] = home
    from stayout.cli import main

    extra = ["--no-store"] if engine == "pandas" else [
        "--engine", "spark", "--spark-conf", f"spark.sql.shuffle.partitions={PARTITIONS}"]
    result = {"step": engine}
    with measured(result):
        code = main(["-q", "score", data_dir, "--as-of", AS_OF, "--out", out, "--force", *extra])
    if code:
        raise SystemExit(code)
    marker = json.loads(next(Path(out).glob(f"{AS_OF}/v*/_COMPLETE.json")).read_text(encoding="utf-8"))
    result["households"] = marker["households_scored"]
    result["stages"] = marker["seconds_this_session"]
    result["snapshot"] = marker["input_snapshot"]
    return result


def run(workdir: Path) -> dict:
    data = build_export(workdir / "simulated", workdir / "scoring-200k", COPIES)
    home = str(workdir / "training-home")
    pandas = run_step("benchmarks.bench_spark", "--step", "pandas", str(data), home, str(workdir / "scores-pandas"))
    spark = run_step("benchmarks.bench_spark", "--step", "spark", str(data), home, str(workdir / "scores-spark"))
    households = spark["households"]
    village_pass = spark["stages"]["features_and_scores"]
    per_partition = village_pass * CORES / PARTITIONS
    per_household_ms = village_pass * CORES / households * 1000
    partitions = math.ceil(PROVINCE / (households / PARTITIONS))
    driver = spark["stages"]["outputs"] * PROVINCE / households      # the driver's share grows with households
    rows = [("reference: pandas engine", f"{pandas['seconds']:.1f} s, {pandas['households'] / pandas['seconds']:,.0f} "
                                         f"households/s, peak {pandas['peak_gib']:.2f} GiB"),
            ("Spark engine, local[2]", f"{spark['seconds']:.1f} s, {households / spark['seconds']:,.0f} households/s "
                                       f"(driver peak {spark['peak_gib']:.2f} GiB)"),
            ("ratio Spark / pandas", f"{spark['seconds'] / pandas['seconds']:.2f}x"),
            ("same input fingerprint", str(spark["snapshot"] == pandas["snapshot"]))]
    rows += [(f"  spark {name}", f"{seconds:.1f} s") for name, seconds in spark["stages"].items()]
    rows += [(f"  pandas {name}", f"{seconds:.1f} s") for name, seconds in pandas["stages"].items()]
    rows += [("one partition", f"{households / PARTITIONS:,.0f} households, {per_partition:.1f} core-seconds "
                               f"({per_household_ms:.2f} core-ms per household)")]
    for cores in CLUSTER_CORES:
        waves = math.ceil(partitions / cores)
        minutes = (waves * per_partition + driver) / 60
        rows.append((f"10M households on {cores} cores", f"{partitions:,} partitions in {waves} waves: about "
                                                          f"{minutes:.0f} min (village pass {waves * per_partition / 60:.0f}"
                                                          f" min, driver outputs {driver / 60:.0f} min)"))
    print_table(f"batch scoring of {households:,} households on both engines", rows)
    return {"spark_seconds": spark["seconds"], "pandas_seconds": pandas["seconds"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", choices=("pandas", "spark"))
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()
    if args.step:
        report_step(step_score(args.step, *args.args))
    else:
        run(Path(args.args[0]) if args.args else Path(".stayout/bench"))


if __name__ == "__main__":
    main()
