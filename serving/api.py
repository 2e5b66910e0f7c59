"""The service's typed requests and responses (strict: an unknown field is refused with its name).

Request bodies are JSON objects with these fields at the top level. A record row is an object of
the contract's columns (`features.contract`) with values as an export writes them: text, numbers,
booleans, dates as `2024-05-01` or `2024-05-01 09:30:00`, a code list as `a;b` or `["a", "b"]`.
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Literal, Union

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from features.contract import TABLES
from features.facts import REFERENCE_TABLES
from features.parse import as_written
from stayout.errors import StayoutError

Value = Union[str, int, float, bool, None, list[str]]
Row = dict[str, Value]
Records = dict[str, list[Row]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ requests
class LookupRequest(Strict):
    household_id: str = Field(min_length=1, max_length=64, description="户编号")
    as_of: dt.date | None = Field(None, description="the scoring date; default: the household's current run")


class ScoreRequest(Strict):
    as_of: dt.date = Field(description="features use records recorded before this date")
    records: Records = Field(description="one household's rows per contract table (areas and lines come from "
                                         "the stored facts of its county)")


class RescoreRequest(Strict):
    household_id: str = Field(min_length=1, max_length=64)
    as_of: dt.date | None = Field(None, description="default: the date the household was last scored; rows "
                                                    "recorded on or after as_of do not count (see not_counted)")
    records: Records = Field(default_factory=dict, description="new rows per table, added to the stored ones")


class BatchItem(Strict):
    as_of: dt.date = Field(description="features use records recorded before this date")
    records: Records = Field(description="one household's rows per contract table")


MAX_BATCH = 1_000


class ScoreBatchRequest(Strict):
    households: list[BatchItem] = Field(min_length=1, max_length=MAX_BATCH,
                                        description=f"up to {MAX_BATCH:,} households, each scored as /score does")


# ------------------------------------------------------------------ responses
class Measure(BaseModel):
    code: str
    zh: str
    en: str
    received: bool = False
    for_: list[str] = Field(default_factory=list, alias="for")

    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class Reason(BaseModel):
    code: str
    family: str
    contribution: float
    feature: str
    zh: str
    en: str

    model_config = ConfigDict(extra="ignore")


class Change(BaseModel):
    code: str
    family: str
    before: float
    after: float
    direction: Literal["raised", "lowered"]
    feature: str
    zh: str
    en: str


class Scored(BaseModel):
    """What every scoring answer holds."""

    household_id: str
    as_of: str = Field(description="the date the score is as of (YYYY-MM-DD)")
    score: float = Field(description="calibrated probability of relapse within 12 months")
    band: int
    tier: str
    reasons: list[Reason]
    measures: list[Measure]
    model_name: str
    model_version: int = Field(description="the version that produced this score")
    champion_version: int = Field(description="the champion version this service runs with")


class LookupResponse(Scored):
    stale: bool = Field(description="true when the stored score is not by the champion this service runs with")
    explained: bool = Field(description="false when the batch did not explain this household (reasons empty)")
    flagged: bool
    rank_in_township: int
    township_code: str
    run_key: str


class ScoreResponse(Scored):
    facts_as_of: str = Field(description="the date of the village aggregates used (the latest stored at or "
                                         "before as_of)")
    not_counted: int = Field(0, description="posted rows recorded on or after as_of, which the score ignores")


class RescoreResponse(ScoreResponse):
    previous_score: float
    previous_model_version: int
    previous_as_of: str
    changes: list[Change]
    intake_rows: int = Field(description="rows appended to the intake log")


class BatchResult(BaseModel):
    """One household of a batch: its answer, or why it was refused (the others are still scored)."""

    position: int = Field(description="0-based position in the request's households")
    household_id: str | None = None
    status: int = Field(description="200, or the status /score would have answered")
    result: ScoreResponse | None = None
    error: "ErrorBody | None" = None


class ScoreBatchResponse(BaseModel):
    model_name: str
    champion_version: int
    scored: int
    refused: int
    results: list[BatchResult]


class Problem(BaseModel):
    """One rejected row or field: where it is and what to do."""

    table: str | None = None
    row_number: int | None = Field(None, description="1-based position among the posted rows of the table")
    column: str | None = None
    field: str | None = Field(None, description="the request field at fault, dotted")
    reason: str


class ErrorBody(BaseModel):
    error: str
    detail: list[Problem] = Field(default_factory=list)


BatchResult.model_rebuild()


# ------------------------------------------------------------------ errors and posted records
class ServiceError(StayoutError):
    """A request the service refuses, with the HTTP status and the places at fault."""

    def __init__(self, status: int, message: str, detail: list[Problem] | None = None):
        self.http_status = status
        self.detail = detail or []
        super().__init__(message)

    def body(self) -> dict:
        return ErrorBody(error=str(self), detail=self.detail).model_dump(exclude_none=True)


RECORD_TABLES = {table.name: table for table in TABLES if table.name not in REFERENCE_TABLES}


def posted_tables(records: Records) -> dict[str, pa.Table]:
    """The posted rows of each record table as text columns, in the contract's column order (the
    shape a CSV export has); an unknown table or column is refused with its place."""
    out = {}
    for name, rows in records.items():
        table = RECORD_TABLES.get(name)
        if table is None:
            known = ", ".join(RECORD_TABLES)
            why = ("reference tables come from the stored facts of the household's county" if name in REFERENCE_TABLES
                   else f"not a record table of the contract; use one of {known}")
            raise ServiceError(422, f"records.{name}: {why}", [Problem(field=f"records.{name}", reason=why)])
        columns: dict[str, list] = {column: [] for column in table.column_names}
        for number, row in enumerate(rows):
            unknown = sorted(set(row) - set(columns))
            if unknown:
                why = f"{name} has no column {unknown[0]}; its columns are {', '.join(columns)}"
                raise ServiceError(422, f"records.{name}[{number}]: {why}",
                                   [Problem(table=name, row_number=number + 1, column=unknown[0],
                                            field=f"records.{name}[{number}].{unknown[0]}", reason=why)])
            for column, values in columns.items():
                values.append(_as_text(row.get(column)))
        out[name] = pa.table({column: pa.array(values, pa.string()) for column, values in columns.items()})
    return out


def _as_text(value: Value) -> str | None:
    """A JSON value as an export writes it (validation then parses it as the contract declares)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(map(str, value))
    return value if isinstance(value, str) else repr(value)


def as_text(frame: pd.DataFrame) -> pa.Table:
    """Validated rows written back as text, so stored and posted rows are validated together."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return pa.table({name: pc.cast(as_written(table.column(name)), pa.string()) for name in table.column_names})


def empty_text(name: str) -> pa.Table:
    return pa.table({column: pa.array([], pa.string()) for column in RECORD_TABLES[name].column_names})
