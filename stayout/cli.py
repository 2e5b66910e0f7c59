"""The `stayout` command: thin subcommands that parse, call one library function and report."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from stayout.errors import InputError, StayoutError
from stayout.home import go_offline, quarantine_dir_for

log = logging.getLogger("stayout")


def main(argv: list[str] | None = None) -> int:
    go_offline()
    parser = _build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if not args.quiet else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except StayoutError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stayout", description="Households at risk of relapsing into poverty.")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="write a synthetic county export in the data contract")
    simulate.add_argument("--out", required=True, type=Path)
    simulate.add_argument("--households", required=True, type=int)
    simulate.add_argument("--counties", type=int, default=3)
    simulate.add_argument("--start", required=True, help="first month of the export, YYYY-MM")
    simulate.add_argument("--months", required=True, type=int)
    simulate.add_argument("--seed", required=True, type=int)
    simulate.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    simulate.add_argument("--dirty-rate", type=float, default=0.0, help="share of rows made dirty (0-0.2)")
    simulate.add_argument("--scenario", choices=("default", "disaster-year", "job-crisis"), default="default",
                          help="a shift from --scenario-start on: disasters twice as often and costly, or migrant "
                               "job losses tripled and local wages cut by a fifth")
    simulate.add_argument("--scenario-start", help="first month of the shift, YYYY-MM (default: 12 months before "
                                                   "the export ends)")
    simulate.set_defaults(handler=_simulate)

    validate = commands.add_parser("validate", help="validate an export and quarantine rejected rows")
    validate.add_argument("data_dir", help="the export folder (with --engine spark, any URI Spark reads)")
    validate.add_argument("--quarantine", type=Path, default=None,
                          help="folder for rejected rows (default $STAYOUT_HOME/quarantine/<export folder>)")
    _engine_options(validate)
    validate.set_defaults(handler=_validate)

    features = commands.add_parser("features", help="point-in-time features (and labels) of the cohort")
    features.add_argument("data_dir", help="the export folder (with --engine spark, any URI Spark reads)")
    dates = features.add_mutually_exclusive_group(required=True)
    dates.add_argument("--as-of", action="append", metavar="YYYY-MM-DD", help="an as-of date (repeatable)")
    dates.add_argument("--monthly", nargs=2, metavar=("FROM", "TO"),
                       help="the first day of each month from FROM to TO (YYYY-MM), both included")
    features.add_argument("--labels", action="store_true", help="add relapse_12m and its parts (null until final)")
    features.add_argument("--out", required=True,
                          help="output Parquet file (with --engine spark a folder of parts, at any URI Spark writes)")
    _engine_options(features)
    features.set_defaults(handler=_features)

    splits = commands.add_parser("splits", help="print the temporal plan: dates, cohort sizes, base rates")
    splits.add_argument("data_dir", type=Path)
    splits.add_argument("--config", type=Path, default=None, help="training config (YAML); defaults if absent")
    splits.set_defaults(handler=_splits)

    train = commands.add_parser("train", help="train, evaluate against today's rules, register a challenger")
    train.add_argument("data_dir", type=Path)
    train.add_argument("--config", type=Path, default=None, help="training config (YAML); defaults if absent")
    train.set_defaults(handler=_train)

    promote = commands.add_parser("promote", help="make a challenger the champion if it passes the gate")
    promote.add_argument("--version", type=int, default=None, help="version to consider (default: challenger)")
    promote.add_argument("--config", type=Path, default=None, help="training config with the gate settings")
    promote.add_argument("--force", action="store_true", help="promote even if the gate refuses (recorded)")
    promote.set_defaults(handler=_promote)

    explain = commands.add_parser("explain", help="score, band, reasons and measures of households at a date")
    explain.add_argument("data_dir", type=Path)
    explain.add_argument("--as-of", required=True, metavar="YYYY-MM-DD")
    chosen = explain.add_mutually_exclusive_group()
    chosen.add_argument("--household", action="append", metavar="ID", help="a household id (repeatable)")
    chosen.add_argument("--top", type=int, default=None, help="the N highest scores of the cohort (default 20)")
    explain.add_argument("--model-alias", default="champion", help="registered alias or version to use")
    explain.add_argument("--lang", choices=("zh", "en"), default="zh")
    explain.add_argument("--protective", action="store_true", help="also the families that lower the score most")
    explain.add_argument("--since", metavar="YYYY-MM-DD", default=None,
                         help="also what changed since this earlier date (the families that moved most)")
    explain.add_argument("--out", type=Path, default=None, help="write JSON lines here instead of printing")
    explain.add_argument("--config", type=Path, default=None, help="training config (reason settings)")
    explain.set_defaults(handler=_explain)

    score = commands.add_parser("score", help="score every household of the cohort: lists, reasons, report, store")
    score.add_argument("data_dir", help="the export folder (with --engine spark, any URI Spark reads)")
    score.add_argument("--as-of", required=True, metavar="YYYY-MM-DD")
    score.add_argument("--out", required=True, type=Path, help="output folder; the run goes to OUT/<as_of>/v<version>/")
    score.add_argument("--model-alias", default="champion", help="registered alias or version to use")
    score.add_argument("--capacity-per-township", type=int, default=None,
                       help="households flagged per township (default: the training config's capacity)")
    score.add_argument("--explain-per-township", type=int, default=None,
                       help="the top N of each township list get reasons (default: twice the capacity)")
    score.add_argument("--chunk-households", type=int, default=50_000, help="households per part (bounds memory)")
    score.add_argument("--resume", action="store_true", help="continue an unfinished run from its finished parts")
    score.add_argument("--force", action="store_true", help="score again even if the run is finished")
    score.add_argument("--no-store", action="store_true", help="do not write the online store")
    score.add_argument("--config", type=Path, default=None, help="training config (capacity, reason settings)")
    _engine_options(score)
    score.set_defaults(handler=_score)

    retrain = commands.add_parser("retrain", help="train a challenger on the newest final labels and promote it if "
                                                  "the gate passes; a decision record says why")
    retrain.add_argument("data_dir", type=Path)
    retrain.add_argument("--config", type=Path, default=None)
    retrain.set_defaults(handler=_retrain)
    rollback = commands.add_parser("rollback", help="give the champion alias back to the version it replaced")
    rollback.add_argument("--config", type=Path, default=None)
    rollback.set_defaults(handler=_rollback)

    models = commands.add_parser("models", help="registered model versions with aliases and key metrics")
    models.add_argument("--config", type=Path, default=None)
    models.set_defaults(handler=_models)

    docs = commands.add_parser("docs", help="write the pages generated from the contract and the feature catalogue")
    docs.add_argument("--out", type=Path, default=Path("docs"), help="folder for data-contract.md and features.md")
    docs.set_defaults(handler=_docs)
    _add_service_commands(commands)
    return parser


def _add_service_commands(commands) -> None:
    serve = commands.add_parser("serve", help="start the real-time API for case workers' systems (BentoML)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.set_defaults(handler=_serve)

    keys = commands.add_parser("keys", help="API keys of the systems that call the service")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="make a key (printed once, stored hashed)")
    create.add_argument("--role", required=True, choices=("caseworker", "admin"))
    create.add_argument("--name", default="", help="who or what uses the key")
    create.set_defaults(handler=_keys_create)
    key_commands.add_parser("list", help="keys with role and state (never the key itself)").set_defaults(
        handler=_keys_list)
    revoke = key_commands.add_parser("revoke", help="stop a key from working at once")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=_keys_revoke)

    monitor = commands.add_parser("monitor", help="drift of the cohort against the champion's training reference "
                                                  "(exit 3 when something needs action)")
    monitor.add_argument("data_dir", type=Path)
    monitor.add_argument("--as-of", required=True, help="the cohort's date, YYYY-MM-DD")
    monitor.add_argument("--out", type=Path, help="folder for monitor-<as_of>.json (default STAYOUT_HOME/monitor)")
    monitor.add_argument("--model-alias", default="champion")
    monitor.add_argument("--capacity-per-township", type=int, default=10,
                         help="households flagged per township, for the flagged share per county (default 10)")
    monitor.set_defaults(handler=_monitor)

    records = commands.add_parser("records", help="a household's stored records as the JSON body /score takes")
    records.add_argument("household_id")
    records.set_defaults(handler=_records)

    audit = commands.add_parser("audit", help="the latest calls to the service (household ids are HMACs)")
    audit.add_argument("--tail", type=int, default=20, help="how many of the latest calls")
    audit.set_defaults(handler=_audit)


def _simulate(args: argparse.Namespace) -> int:
    from synthetic.export import write_export
    from synthetic.simulate import SimulationConfig, simulate

    try:
        config = SimulationConfig(households=args.households, counties=args.counties, start=args.start,
                                  months=args.months, seed=args.seed, scenario=args.scenario,
                                  scenario_start=args.scenario_start)
    except ValueError as exc:   # a setting out of its range: said as the options' error, not a traceback
        raise InputError(f"stayout simulate: {exc}") from None
    log.info("simulating %d households in %d counties over %d months from %s (seed %d, scenario %s)",
             args.households, args.counties, args.months, args.start, args.seed, args.scenario)
    simulation = simulate(config)
    summary = write_export(simulation, args.out, file_format=args.format, dirty_rate=args.dirty_rate,
                           seed=args.seed)
    print(f"wrote {summary.rows} rows in 12 tables to {args.out} "
          f"({summary.dirty} dirty rows listed in {args.out / 'truth' / 'manifest.json'})")
    return 0


def _engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("pandas", "spark"), default="pandas",
                        help="pandas on this machine (default), or Apache Spark for a province")
    parser.add_argument("--spark-master", default=None,
                        help="Spark master URL (default local[2], or the one spark-submit gives)")
    parser.add_argument("--spark-conf", action="append", metavar="KEY=VALUE",
                        help="a Spark setting, e.g. spark.sql.shuffle.partitions=400 (repeatable)")


def _spark(args: argparse.Namespace):
    """The Spark session of a command run with --engine spark."""
    try:
        from serving.spark_engine import parse_conf, spark_session
    except ImportError as exc:
        raise InputError("--engine spark needs pyspark: install the spark extra (pip install 'stayout[spark]'; "
                         "make install does) and a Java runtime") from exc
    conf = parse_conf(args.spark_conf)
    try:
        return spark_session(args.spark_master, conf)
    except Exception as exc:   # pyspark raises its own kinds when no JVM starts
        if "JAVA" in str(exc).upper():
            raise InputError(f"Spark could not start a Java runtime ({str(exc)[:200]}); install one "
                             "(tools/install-java does, with apt-get) or set JAVA_HOME") from exc
        raise


def _local(args: argparse.Namespace, name: str) -> Path:
    """A path argument of the pandas engine (the Spark engine takes URIs)."""
    value = getattr(args, name)
    if "://" in str(value):
        raise InputError(f"{value} is a URI; the pandas engine reads local folders (use --engine spark for URIs)")
    return Path(value)


def _validate(args: argparse.Namespace) -> int:
    from features.read import read_export

    if args.engine == "spark":
        return _validate_on_spark(args)
    args.data_dir = _local(args, "data_dir")
    quarantine = args.quarantine or quarantine_dir_for(args.data_dir)
    export = read_export(args.data_dir, quarantine)
    _print_reconciliation(args, export.validation, quarantine)
    if export.exported_at is not None:
        print(f"Data end: {export.data_end:%Y-%m-%d %H:%M:%S}, when the export was taken (export.json)")
    else:
        print(f"Data end: {export.data_end:%Y-%m-%d %H:%M:%S}, the latest recorded_at (no export.json; check the "
              "year if it looks wrong)")
    return 0


def _print_reconciliation(args: argparse.Namespace, validation, quarantine: Path) -> None:
    table = validation.reconciliation()
    print(f"Validated {args.data_dir}: rows read = accepted + collapsed + quarantined")
    print(table.to_string(index=False))
    total = table[["read", "accepted", "collapsed", "quarantined"]].sum()
    print(f"total: {total['read']} read, {total['accepted']} accepted, {total['collapsed']} collapsed, "
          f"{total['quarantined']} quarantined")
    if total["quarantined"]:
        print(f"Rejected rows, with row_number, column and reason: {quarantine}/<table>.csv")


def _validate_on_spark(args: argparse.Namespace) -> int:
    from features.read import write_quarantine
    from serving.spark_engine import validate_export

    quarantine = args.quarantine or quarantine_dir_for(Path(str(args.data_dir).rstrip("/")))
    found = validate_export(_spark(args), args.data_dir)
    write_quarantine(found.validation, quarantine)
    _print_reconciliation(args, found.validation, quarantine)
    return 0


def _features(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from features.build import build_features
    from features.labels import attach_labels
    from features.read import read_export
    from features.timeline import as_of_dates

    try:
        dates = as_of_dates(args.as_of, tuple(args.monthly) if args.monthly else None)
    except ValueError as exc:
        raise InputError(f"as-of dates: {exc}; write dates as 2023-06-01 and months as 2023-06") from exc
    if args.engine == "spark":
        return _features_on_spark(args, dates)
    args.data_dir, args.out = _local(args, "data_dir"), _local(args, "out")
    export = read_export(args.data_dir, quarantine_dir_for(args.data_dir))
    _report_quarantine(export)
    progress = (lambda items: tqdm(items, desc="as-of dates", unit="date")) if len(dates) > 1 else None
    frame = build_features(export.tables, dates, progress=progress)
    if args.labels:
        frame = attach_labels(frame, export.tables, export.exported_at)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(args.out, index=False)
    print(f"wrote {len(frame):,} rows ({frame['household_id'].nunique():,} households, {len(dates)} as-of dates, "
          f"{frame.shape[1] - 2} columns) to {args.out}")
    return 0


def _features_on_spark(args: argparse.Namespace, dates) -> int:
    from features.read import write_quarantine
    from serving.spark_engine import write_features

    if args.labels:
        raise InputError("--labels needs the whole export's end and future records; use --engine pandas for labels")
    found, rows, households = write_features(_spark(args), args.data_dir, dates, str(args.out))
    write_quarantine(found.validation, quarantine_dir_for(Path(str(args.data_dir).rstrip("/"))))
    quarantined = int(found.validation.reconciliation()["quarantined"].sum())
    if quarantined:
        log.warning("%d rows were quarantined while reading %s; see stayout validate", quarantined, args.data_dir)
    print(f"wrote {rows:,} rows ({households:,} households, {len(dates)} as-of dates) to {args.out} "
          "(a folder of Parquet parts)")
    return 0


def _splits(args: argparse.Namespace) -> int:
    from features.context import PreparedExport
    from features.labels import NeedGrid
    from features.read import read_export
    from training.config import load_config
    from training.dataset import labelled_frame
    from training.report import known_need_report, plan_report
    from training.splits import describe_plan, plan_splits

    config = load_config(args.config)
    export = read_export(args.data_dir, quarantine_dir_for(args.data_dir))
    prepared = PreparedExport.prepare(export.tables)
    grid = NeedGrid.build(export.tables, prepared.index, prepared.income)
    plan = plan_splits(export.tables, config.splits, export.exported_at, grid)
    schedule = describe_plan(plan, labelled_frame(export.tables, plan, exported_at=export.exported_at,
                                                  prepared=prepared, grid=grid))
    print(plan_report(plan, schedule))
    print(known_need_report(schedule))
    return 0


def _train(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from features.read import read_export
    from training.config import load_config
    from training.pipeline import train
    from training.report import training_report

    config = load_config(args.config)
    export = read_export(args.data_dir, quarantine_dir_for(args.data_dir))
    _report_quarantine(export)
    result = train(export.tables, config, progress=lambda dates: tqdm(dates, desc="features", unit="date"),
                   exported_at=export.exported_at)
    print(training_report(result, config.registered_model))
    return 0


def _promote(args: argparse.Namespace) -> int:
    from training.config import load_config
    from training.promote import promote

    config = load_config(args.config)
    decision = promote(config.registered_model, args.version, config.gate, force=args.force)
    print(decision.summary())
    return 0 if decision.promote else 1


def _retrain(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from features.read import read_export
    from training.config import load_config
    from training.retrain import retrain

    config = load_config(args.config)
    export = read_export(args.data_dir, quarantine_dir_for(args.data_dir))
    _report_quarantine(export)
    record, _ = retrain(export.tables, config, export.exported_at,
                        progress=lambda dates: tqdm(dates, desc="features", unit="date"))
    print(record.markdown())
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from training.config import load_config
    from training.retrain import rollback

    record = rollback(load_config(args.config).registered_model)
    print(record.markdown())
    return 0


def _models(args: argparse.Namespace) -> int:
    from models import registry
    from training.config import load_config

    config = load_config(args.config)
    versions = registry.list_versions(config.registered_model)
    if not versions:
        print(f"no versions of {config.registered_model} yet; train one with `stayout train DATA_DIR`")
        return 0
    for found in versions:
        metrics = registry.run_metrics(found.run_id)
        aliases = ",".join(found.aliases) or "-"
        print(f"version {found.version:>3}  {aliases:<20} roc_auc {metrics.get('roc_auc', float('nan')):.4f}  "
              f"recall@capacity {metrics.get('recall_at_capacity', float('nan')):.4f}  "
              f"recall@10% {metrics.get('recall_at_10pct', float('nan')):.4f}  "
              f"ece {metrics.get('ece', float('nan')):.4f}  learned until {found.tags.get('learned_until', '?')}  "
              f"label {found.tags.get('label', '?')}  run {found.run_id}")
    print("(figures of each version's evaluated twin on its test window; the version itself is refitted on the "
          "dates up to `learned until`)")
    return 0


def _explain(args: argparse.Namespace) -> int:
    import json

    import pandas as pd

    from features.read import read_export
    from models import registry
    from models.household_reasons import ReasonSettings, explain_cohort
    from models.reasons import ReasonBook
    from training.config import load_config

    config = load_config(args.config)
    try:
        as_of = pd.Timestamp(args.as_of)
        since = pd.Timestamp(args.since) if args.since else None
    except ValueError as exc:
        raise InputError(f"--as-of {args.as_of!r} or --since {args.since!r} is not a date; write it as 2024-06-01") \
            from exc
    export = read_export(args.data_dir, quarantine_dir_for(args.data_dir))
    _report_quarantine(export)
    bundle, found = registry.load_bundle(config.registered_model, args.model_alias)
    settings = ReasonSettings(config.explanations.reason_min_contribution, config.explanations.max_reasons,
                              args.protective)
    model = {"model": config.registered_model, "model_version": found.version, "feature_schema": bundle.schema_version}
    records = explain_cohort(export.tables, as_of, bundle, ReasonBook.load(), args.household, args.top, settings,
                             model, since)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
        print(f"wrote {len(records)} households to {args.out}")
        return 0
    for number, record in enumerate(records, 1):
        print(_explanation_text(number, record, args.lang))
    return 0


def _score(args: argparse.Namespace) -> int:
    import pandas as pd

    from models import registry
    from models.household_reasons import ReasonSettings
    from models.reasons import ReasonBook
    from serving.batch import Model, ScoreSettings, score_export
    from serving.store import Store
    from stayout.home import stayout_home
    from training.config import load_config

    config = load_config(args.config)
    try:
        as_of = pd.Timestamp(args.as_of)
    except ValueError as exc:
        raise InputError(f"--as-of {args.as_of!r} is not a date; write it as 2024-06-01") from exc
    capacity = args.capacity_per_township or config.evaluation.township_capacity
    settings = ScoreSettings(as_of, capacity, args.explain_per_township if args.explain_per_township is not None
                             else 2 * capacity, args.chunk_households,
                             ReasonSettings(config.explanations.reason_min_contribution,
                                            config.explanations.max_reasons))
    bundle, found = registry.load_bundle(config.registered_model, args.model_alias)
    model = Model(bundle, config.registered_model, found.version)
    if args.engine == "spark":
        from serving import spark_engine

        if args.resume:
            raise InputError("--resume is for the pandas engine; Spark retries its own failed tasks, so run the "
                             "Spark engine again with --force")
        store = None
        log.info("the Spark engine writes no online store; score with the pandas engine to serve /lookup")
        result = spark_engine.score_export(_spark(args), args.data_dir, model, settings, args.out, ReasonBook.load(),
                                           force=args.force,
                                           quarantine_dir=quarantine_dir_for(Path(str(args.data_dir).rstrip("/"))))
    else:
        args.data_dir = _local(args, "data_dir")
        store = None if args.no_store else Store.at_home(stayout_home())
        result = score_export(args.data_dir, model, settings, args.out, ReasonBook.load(), resume=args.resume,
                              force=args.force, store=store, quarantine_dir=quarantine_dir_for(args.data_dir))
    summary = result.summary
    recon = summary["reconciliation"]
    if not result.repeated:
        print(f"{result.run_dir} is already finished (as of {summary['as_of']}, model v{summary['model_version']}); "
              "nothing done. Use --force to score it again.")
        return 0
    print(f"Scored {recon['scored']:,} households as of {summary['as_of']} with {summary['model']} "
          f"v{summary['model_version']}: {recon['flagged']:,} flagged in {len(summary['flagged_per_township'])} "
          f"townships, {recon['explained']:,} explained; {recon['rows_quarantined']:,} rows quarantined")
    print(f"Outputs: {result.run_dir} (scores.parquet, townships/*.csv, summary.json)")
    print(f"Report:  {result.run_dir / 'report.html'}")
    if store is not None:
        print(f"Online store: {store.path}")
    print(_township_top(result.run_dir))
    return 0


def _township_top(run_dir: Path, rows: int = 10) -> str:
    """The top of the first township's list, as its case workers get it."""
    import pandas as pd

    scores = pd.read_parquet(run_dir / "scores.parquet", columns=["township_code", "rank_in_township",
                                                                   "household_id", "score", "band", "tier",
                                                                   "flagged", "reasons_zh"])
    if scores.empty:
        return "no household in the cohort"
    township = scores["township_code"].min()
    top = scores[scores["township_code"] == township].sort_values("rank_in_township").head(rows)
    lines = [f"Top of township {township} (townships/{township}.csv):"]
    for row in top.itertuples(index=False):
        first = row.reasons_zh[0] if len(row.reasons_zh) else "-"
        lines.append(f"  {row.rank_in_township:>3}. {row.household_id}  {row.score:.3f}  band {row.band:>2}  "
                     f"{row.tier:<6} {'flagged' if row.flagged else '       '}  {first}")
    return "\n".join(lines)


def _explanation_text(number: int, record: dict, lang: str) -> str:
    words = {"zh": ("户", "风险", "档", "等级", "原因", "建议措施", "已享受", "无明显风险原因"),
             "en": ("household", "score", "band", "tier", "reasons", "suggested measures", "already received",
                    "no reason above the threshold")}[lang]
    tier = {"high": "高", "medium": "中", "low": "低"}.get(record["tier"], record["tier"]) if lang == "zh" else \
        record["tier"]
    lines = [f"{number}. {words[0]} {record['household_id']}  {words[1]} {record['score']:.3f}  "
             f"{words[2]} {record['band']}  {words[3]} {tier}  (v{record['model_version']})"]
    lines += [f"   - [{r['code']}] {r[lang]} (+{r['contribution']:.2f})" for r in record["reasons"]] or \
        [f"   - {words[7]}"]
    lines += [f"   ~ [{r['code']}] {r[lang]} ({r['contribution']:.2f})" for r in record.get("protective", [])]
    if record["measures"]:
        lines.append(f"   {words[5]}: " + "; ".join(m[lang] + (f" ({words[6]})" if m["received"] else "")
                                                  for m in record["measures"]))
    if "changes" in record:
        since = "自" if lang == "zh" else "since"
        lines.append(f"   {since} {record['since']}: {record['previous_score']:.3f} -> {record['score']:.3f}")
        lines += [f"   * [{c['code']}] {c[lang]} ({c['before']:+.2f} -> {c['after']:+.2f})" for c in record["changes"]]
    return "\n".join(lines)


def _report_quarantine(export) -> None:
    quarantined = sum(len(t.quarantined) for t in export.validation.tables.values())
    if quarantined:
        log.warning("%d rows were quarantined while reading %s; see stayout validate", quarantined, export.data_dir)


def _docs(args: argparse.Namespace) -> int:
    from features.catalogue_docs import render_catalogue
    from features.contract_docs import render_contract

    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in (("data-contract.md", render_contract()), ("features.md", render_catalogue())):
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from serving.service import serve

    print(f"serving serving.service:Stayout on http://{args.host}:{args.port} (Ctrl-C stops it)")
    serve(args.host, args.port)
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from serving.keys import KeyRing
    from stayout.home import stayout_home

    record, key = KeyRing.at_home(stayout_home()).create(args.role, args.name)
    print(f"key {record.key_id} ({record.role}, {record.name}); this is the only time it is shown:")
    print(key)
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    from serving.keys import KeyRing
    from stayout.home import stayout_home

    keys = KeyRing.at_home(stayout_home()).keys()
    if not keys:
        print("no keys yet; make one with `stayout keys create --role caseworker`")
    for key in keys:
        state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
        print(f"{key.key_id}  {key.role:<10} {key.name:<24} created {key.created_at}  {state}")
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from serving.keys import KeyRing
    from stayout.home import stayout_home

    key = KeyRing.at_home(stayout_home()).revoke(args.key_id)
    print(f"revoked key {key.key_id} ({key.role}, {key.name}) at {key.revoked_at}")
    return 0


def _monitor(args: argparse.Namespace) -> int:
    import pandas as pd

    from serving.monitor import monitor
    from stayout.home import stayout_home

    try:
        as_of = pd.Timestamp(args.as_of)
    except ValueError as exc:
        raise InputError(f"--as-of {args.as_of!r} is not a date; write it as 2024-06-01") from exc
    if args.capacity_per_township < 1:
        raise InputError("--capacity-per-township must be at least 1")
    result = monitor(args.data_dir, as_of, args.out or stayout_home() / "monitor", alias=args.model_alias,
                     capacity=args.capacity_per_township)
    drift = result.drift                   # act, then watch, then the rest, each by PSI
    print(f"Drift at {as_of:%Y-%m-%d} against the training reference ({result.against}): {result.verdict} "
          f"(PSI watch >= 0.10, act >= 0.25; rare events by their share; {int((drift['status'] == 'act').sum())} to act on, "
          f"{int((drift['status'] == 'watch').sum())} to watch)")
    print(drift.head(12).to_string(index=False))
    print(result.counties.to_string(index=False))
    print(f"Written to {result.path}; exit code {result.exit_code}")
    return result.exit_code


def _records(args: argparse.Namespace) -> int:
    import json

    from serving.api import RECORD_TABLES, as_text
    from serving.store import Store
    from stayout.errors import InputError
    from stayout.home import stayout_home

    store = Store.at_home(stayout_home())
    stored = store.household(args.household_id)
    if stored is None:
        raise InputError(f"household {args.household_id} has no stored score in the online store; check the id, "
                         "or score its county with `stayout score`")
    tables = store.records(args.household_id, stored["run_key"])
    records = {name: as_text(frame).to_pylist() for name, frame in tables.items() if name in RECORD_TABLES}
    print(json.dumps({"as_of": stored["as_of"], "records": records}, ensure_ascii=False))
    return 0


def _audit(args: argparse.Namespace) -> int:
    import json

    from serving.audit import AuditLog
    from stayout.home import stayout_home

    lines = AuditLog.at_home(stayout_home()).tail(args.tail)
    if not lines:
        print("no calls logged yet")
    for line in lines:
        print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
