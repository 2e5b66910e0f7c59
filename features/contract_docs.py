"""Render the user-facing page of the data contract from its declaration in `features.contract`."""
from __future__ import annotations

from features.contract import CONTRACT_VERSION, DATA_SOURCE_PRECEDENCE, TABLES, Column, Table

HEADER = f"""# Household data contract, version {CONTRACT_VERSION}

<!-- Generated from features/contract.py by `stayout docs`; do not edit by hand. -->

Version 2 changes the outcome (last section): the `need` part looks at the 12 months starting
with the as-of date's month, and a month without a survey income row is "not assessed", never
zero income. It also adds `export.json` (when the export was taken), says that an impossible
calendar date is invalid and that the quarantine keeps a row's original text, and lets a Parquet
table be a folder of parts. The tables and their columns are unchanged.

An export is one folder with one file per table, each `TABLE.parquet` (a file, or a folder
`TABLE.parquet/` of Parquet parts read in the parts' name order) or `TABLE.csv` (UTF-8, header
row, ISO dates such as `2023-06-01`, timestamps such as `2023-06-01 09:30:00`, local time).
Column names are exactly as below; extra columns are ignored with a warning; a missing required
column stops validation with a message naming the table and column.

An export may carry `export.json` beside its tables, `{{"exported_at": "2024-01-01 00:00:00"}}`:
the moment the export was taken. When present it is the data's end, and a row whose
`recorded_at` is after it is quarantined ("recorded after the export was taken"). Without it,
the data's end is the latest `recorded_at` of the export, which validation prints, so that a
mistyped year shows at once. An `export.json` that cannot be read stops validation with a
message naming the file.

Every record carries `recorded_at`, the time it became known. A feature "as of" a date D only
uses records with `recorded_at < D`. Codes are the English codes below; the Chinese labels
shown in brackets are accepted too and mapped to the codes. Booleans are `true`/`false`
(also `1`/`0`). Money is yuan and never negative. Dates are calendar dates that exist:
`2022-02-30` or `2021-04-31` is invalid, never rolled over into the next month.

Validate an export with `stayout validate DATA_DIR`. Rejected rows are written to
`$STAYOUT_HOME/quarantine/<export folder>/<table>.csv` with their original columns, holding the
row's original text unchanged (a CSV row exactly as the file writes it; a typed Parquet value
as a person writes it, `2018`, `true`, `2023-06-01`), plus `row_number` (1-based, header not
counted, across a folder's parts in their order), `column` and `reason`, which quotes the values
the same way; the printed reconciliation shows, per table, rows read = accepted + collapsed
(exact repeats) + quarantined.
"""

RULES = f"""## Validation rules
A row is quarantined when it breaks one of these; nothing else rejects a row.
1. Type: every column parses as its type; every column not marked nullable is present and non-empty.
   A date or timestamp must exist in the calendar: `2022-02-30` or `2021-04-31` is invalid, never
   rolled over into the next month.
2. Codes: a value from the column's list (or its Chinese label); `risk_codes` holds at most 5
   codes from the `self_reports.difficulty` list, joined by `;`.
3. Amounts: money columns are >= 0. Record a net loss as zero income and the loss as an event.
4. References: `household_id` is an accepted household (so the rows of a quarantined household
   are quarantined too), `person_id` an accepted member, `village_code` and `county_code` known areas.
5. Knowledge after the fact: `recorded_at` is not before the date the record is about
   (shown as "known after" for each table), and not after `exported_at` when the export carries
   `export.json` ("recorded after the export was taken").
6. Periods: `period_start` <= `period_end`, covering one whole calendar month or quarter.
7. Ranges: as shown for each column.
8. Order inside a record: the ordered pairs shown for each table; a member's `joined_on` and
   `left_on` and a household's `dissolved_on` not after the row's `recorded_at`.
9. Agreement inside a record: `exit_year` only for `ex_poor`; `disability_grade` exactly when
   health is `disabled`; `outcome` exactly when `resolved_at` is set; area codes share their prefixes.

## Repeats, versions and conflicts (never a reason to lose data)
- A row repeated exactly is collapsed into one and counted as collapsed.
- Id tables (events, alerts, self_reports, visits, cases, assistance): an id seen again with
  different content keeps its first occurrence in file order; later ones are quarantined as
  "duplicate id with different content" for a clerk to settle.
- households, members, areas, monitoring_lines: the same key with a later `recorded_at` is a new
  version (the latest known at D holds as of D); the same key and `recorded_at` with different
  content is quarantined after its first occurrence.
- income, expenditures: rows with the same household, period, source (or category) and
  `data_source` are versions: the latest `recorded_at` known at D holds (on a tie, the later row
  in the file). Different `data_source`s for the same household, month and source are resolved by
  precedence, {" over ".join(DATA_SOURCE_PRECEDENCE)}, never quarantined; a row covering a quarter
  counts a third in each of its months.
"""

OUTCOME = """## Outcome and cohort (what a score predicts)
- Cohort at as-of date D: the household's latest row with `recorded_at < D` exists and its
  `dissolved_on` is null or >= D, and no case known at D (`recorded_at < D`) has
  `identified_on < D` and `eliminated_on` null or >= D. Like every feature, the cohort sees only
  what was known at D.
- Verified monthly income: for each household, month and source, the row covering that month
  from the highest-precedence `data_source`, latest `recorded_at` within it; a row of several
  months is spread evenly over them. Labels use all rows, with hindsight.
- Assessed month: a household's month is assessed when at least one `survey` income row of that
  household covers it, whatever its source. A survey assesses the whole household: it writes a
  row for every source it found, and a household found with no income from the sources it
  covers gets one row of amount 0 (source `other`), so that its months count as assessed.
  Department rows (transfers and some wages) and self-reports (one source at a time) do not
  assess a month on their own. A month that is not assessed is unknown, never zero income.
- Label `need` for (household, D): let W be the 12 calendar months starting with D's month.
  When every month of W is assessed and somebody is present at the end of W's last month,
  `need` is true if the verified income over W divided by the members present then (latest
  member rows: `joined_on` <= that day and `left_on` null or after it) is below the line of W's
  last month's calendar year for the household's county, and false otherwise. In every other
  case `need` is unknown (null).
- Label `admin` for (household, D): a case with `identified_on` in [D, D + 12 months) (any
  category, re-entry included); `category` is the first such case's.
- `relapse_12m` is true when `admin` or `need` is true, and false otherwise (an unknown `need`
  counts as not shown). Figures about `need` alone use only the rows where it is known.
- A label is final when D + 12 months + 90 days (the reporting lag) is on or before the data's
  end (`exported_at`, else the latest `recorded_at` in the export). Unfinished labels are never
  used for training or evaluation. A final label's `need` may still be unknown: where income is
  assessed once a year, the assessment covering W's last months can arrive up to a year after W
  ends.
"""


def render_contract() -> str:
    parts = [HEADER]
    for table in TABLES:
        parts.append(_render_table(table))
    parts.append(RULES)
    parts.append(OUTCOME)
    return "\n".join(parts)


def _render_table(table: Table) -> str:
    lines = [f"## {table.name}", "", table.description, "",
             "| column | type | nullable | meaning | allowed values |", "|---|---|---|---|---|"]
    for column in table.columns:
        lines.append(f"| `{column.name}` | {_type_text(column)} | {'yes' if column.nullable else ''} "
                     f"| {column.meaning} | {_allowed_text(column)} |")
    lines += ["", f"Key: {', '.join(f'`{k}`' for k in table.key)} ({_kind_text(table)})."]
    if table.known_after:
        lines.append(f"Known after: `recorded_at` >= `{table.known_after}`.")
    for earlier, later in table.ordered:
        lines.append(f"Order: `{earlier}` <= `{later}`.")
    if table.versions_note:
        lines.append(table.versions_note)
    lines.append("")
    return "\n".join(lines)


def _type_text(column: Column) -> str:
    if column.digits:
        return f"str, {column.digits} digits"
    return {"code": "code", "codelist": "codes joined by ;"}.get(column.kind, column.kind)


def _allowed_text(column: Column) -> str:
    if column.codes:
        return ", ".join(f"`{c.code}`" + (f" ({c.zh})" if c.zh else "") for c in column.codes)
    bits = []
    if column.money:
        bits.append("yuan, >= 0")
    if column.min_value is not None:
        bits.append(f"{column.min_value:g}-{column.max_value:g}")
    if column.references:
        bits.append(f"→ {column.references}")
    return "; ".join(bits)


def _kind_text(table: Table) -> str:
    return {
        "versioned": "a later recorded_at is a new version",
        "id": "an id seen again with different content is quarantined",
        "measure": "rows with the same key are versions; data sources resolved by precedence",
    }[table.kind]
