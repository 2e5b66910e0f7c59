"""Batch scoring of 1,000,000 households with 48 months of history, end to end: validate, features,
scores, reasons, outputs and the online store.

The export is the 100,000-household simulated export (`bench_simulate`) repeated ten times under
new ids, each table a folder of ten Parquet parts (cached between runs), so that generation is not
what is measured. The reference measured in the same run is reading the same export with plain
pandas, one table at a time. Targets: under 15 minutes and 8 GiB; reasons under half of the
scoring time (features and scores).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from benchmarks.common import measured, print_table, report_step, run_step

COPIES = 10
AS_OF = "2025-01-01"
ID_COLUMNS = ("household_id", "person_id", "event_id", "alert_id", "report_id", "visit_id", "case_id", "measure_id")


def build_export(source: Path, target: Path, copies: int = COPIES) -> Path:
    """`source` repeated `copies` times under new ids (copy k > 0 appends `R<k>` to every id)."""
    done = target / "_BUILT"
    if done.exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in sorted(source.glob("*.parquet")):
        table = pq.read_table(path)
        name = path.stem
        if name in ("areas", "monitoring_lines"):
            pq.write_table(table, target / path.name)
            continue
        folder = target / path.name
        folder.mkdir()
        for copy in range(copies):
            renamed = table
            if copy:
                for column in ID_COLUMNS:
                    if column in table.column_names:
                        values = table.column(column).cast(pa.string())
                        renamed = renamed.set_column(renamed.column_names.index(column), column,
                                                     pc.binary_join_element_wise(values, f"R{copy}", ""))
            pq.write_table(renamed, folder / f"part-{copy:02d}.parquet")
    shutil.copy(source / "export.json", target / "export.json")
    done.write_text("built\n", encoding="utf-8")
    return target


def step_read(data_dir: str) -> dict:
    result = {"step": "read"}
    with measured(result):
        rows = 0
        for path in sorted(Path(data_dir).glob("*.parquet")):
            rows += len(pd.read_parquet(path))     # one table at a time, dropped before the next
        result["rows"] = rows
    return result


def step_score(data_dir: str, home: str, out: str, chunk: int) -> dict:
    os.environ["STAYOUT_HOME"] = home
    from stayout.cli import main

    result = {"step": "score"}
    with measured(result):
        code = main(["-q", "score", data_dir, "--as-of", AS_OF, "--out", out, "--force",
                     "--chunk-households", str(chunk)])
    if code:
        raise SystemExit(code)
    run = next(Path(out).glob(f"{AS_OF}/v*/_COMPLETE.json"))
    marker = json.loads(run.read_text(encoding="utf-8"))
    result["households"] = marker["households_scored"]
    result["stages"] = marker["seconds_this_session"]
    result["store_gib"] = round((Path(home) / "store.sqlite").stat().st_size / 2**30, 2)
    return result


def run(workdir: Path, chunk: int = 50_000) -> dict:
    data = build_export(workdir / "simulated", workdir / "scoring-1m")
    home = workdir / "training-home"            # the model the training benchmark registered
    (home / "store.sqlite").unlink(missing_ok=True)
    read = run_step("benchmarks.bench_scoring", "--step", "read", str(data))
    score = run_step("benchmarks.bench_scoring", "--step", "score", str(data), str(home), str(workdir / "scores"),
                     str(chunk))
    stages = score["stages"]
    scoring = stages["features_and_scores"]
    ok = score["seconds"] < 15 * 60 and score["peak_gib"] < 8
    rows = [("reference: plain pandas read", f"{read['seconds']:.1f} s ({read['rows']:,} rows), "
                                             f"peak {read['peak_gib']:.2f} GiB"),
            ("end to end", f"{score['seconds']:.1f} s, {score['households'] / score['seconds']:,.0f} households/s, "
                           f"peak {score['peak_gib']:.2f} GiB (target < 900 s, < 8 GiB) {'OK' if ok else 'MISSED'}"),
            ("ratio to plain read", f"{score['seconds'] / read['seconds']:.1f}x")]
    rows += [(f"  {name}", f"{seconds:.1f} s") for name, seconds in stages.items()]
    rows += [("reasons / scoring", f"{stages['reasons'] / scoring:.2f} (target < 0.5) "
                                   f"{'OK' if stages['reasons'] < scoring / 2 else 'MISSED'}"),
             ("online store", f"{score['store_gib']:.2f} GiB")]
    print_table(f"batch scoring of {score['households']:,} households (chunks of {chunk:,})", rows)
    return {"scoring_seconds": score["seconds"], "scoring_peak_gib": score["peak_gib"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", choices=("read", "score"))
    parser.add_argument("args", nargs="*")
    args = parser.parse_args()
    if args.step == "read":
        report_step(step_read(*args.args))
    elif args.step == "score":
        report_step(step_score(args.args[0], args.args[1], args.args[2], int(args.args[3])))
    else:
        run(Path(args.args[0]) if args.args else Path(".stayout/bench"))


if __name__ == "__main__":
    main()
