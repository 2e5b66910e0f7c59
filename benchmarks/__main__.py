"""`make bench`: every benchmark, each printing its figures and its ratio to a reference from the same run."""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from benchmarks import (bench_explain, bench_features, bench_scoring, bench_service, bench_simulate, bench_spark,
                        bench_training, bench_validation)
from stayout.home import OFFLINE_ENVIRONMENT


def main() -> None:
    os.environ.update(OFFLINE_ENVIRONMENT)
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--only", choices=("validation", "simulate", "features", "training", "explain", "scoring", "spark",
                                                 "service"), default=None)
    parser.add_argument("--workdir", type=Path, default=Path(os.environ.get("STAYOUT_HOME", ".stayout")) / "bench")
    args = parser.parse_args()
    if args.only in (None, "validation"):
        bench_validation.run(10_000_000, args.workdir)
    if args.only in (None, "simulate", "features"):
        bench_simulate.run(100_000, 48, args.workdir)  # writes the export the feature benchmark reads
    if args.only in (None, "features"):
        bench_features.run(args.workdir / "simulated")
    if args.only in (None, "training"):
        bench_training.run(args.workdir)
    if args.only in (None, "explain"):
        bench_explain.run(args.workdir)   # the model the training benchmark registered
    if args.only in (None, "scoring"):
        bench_scoring.run(args.workdir)   # the simulated export ten times, scored with the same model
    if args.only in (None, "spark"):
        bench_spark.run(args.workdir)     # the simulated export twice, on the pandas and the Spark engine
    if args.only in (None, "service"):
        bench_service.run(args.workdir)   # its own small county, model and online store (service-home)


if __name__ == "__main__":
    main()
