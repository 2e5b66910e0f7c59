"""The service's typed requests and responses (strict: an unknown field is refused with its name).

Request bodies are JSON objects with these fields at the top level. The record rows are declared
by the data contract itself (`features.contract`): one row model per record table, its fields the
table's columns with their meanings, kinds and codes, so the OpenAPI document is the contract. A
value is written as an export writes it: text, numbers, booleans, dates as `2024-05-01` or
`2024-05-01 09:30:00`, a code list as `a;b` or `["a", "b"]`; the contract's validation then
reads it, exactly as it reads an export, and a rejected value is answered 422 with its rule.
"""
from __future__ import annotations

import datetime as dt
import functools
import math
from typing import Literal, Union

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from features.catalogue import FAMILY_LABELS
from features.contract import TABLES, Column, Table
from features.facts import REFERENCE_TABLES
from features.parse import as_written
from features.validate import text_header
from stayout.errors import StayoutError

Value = Union[str, int, float, bool, None, list[str]]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------ the contract's record rows
RECORD_TABLES = {table.name: table for table in TABLES if table.name not in REFERENCE_TABLES}
FAMILY_NAMES = tuple(FAMILY_LABELS)
Family = Literal[FAMILY_NAMES]  # type: ignore[valid-type]
# What JSON may carry for each kind of column; the contract's validation decides what it means.
_JSON_VALUES = {
    "str": Union[str, None], "code": Union[str, None], "date": Union[str, None], "timestamp": Union[str, None],
    "int": Union[int, float, str, None], "float": Union[float, int, str, None], "bool": Union[bool, int, str, None],
    "codelist": Union[list[str], str, None],
}


def _column_field(column: Column):
    said = [column.meaning] if column.meaning else []
    said.append(f"{column.kind}, {'optional' if column.nullable else 'required'}")
    if column.codes:
        said.append("one of " + ", ".join(f"{code.code} ({code.zh})" if code.zh else code.code
                                            for code in column.codes))
    if column.references:
        said.append(f"refers to {column.references}")
    return _JSON_VALUES[column.kind], Field(None, description="; ".join(said))


def _row_model(table: Table) -> type[BaseModel]:
    name = "".join(part.title() for part in table.name.split("_")) + "Row"
    return create_model(name, __config__=ConfigDict(extra="forbid"), __doc__=table.description,
                        **{column.name: _column_field(column) for column in table.columns})


ROW_MODELS = {name: _row_model(table) for name, table in RECORD_TABLES.items()}
Records = create_model(
    "Records", __config__=ConfigDict(extra="forbid"),
    __doc__="One household's rows per record table of the contract (the reference tables, areas and "
            "monitoring lines, come from the stored facts of its county).",
    **{name: (list[model], Field(default_factory=list, description=RECORD_TABLES[name].description))
       for name, model in ROW_MODELS.items()})


# ------------------------------------------------------------------ requests
class LookupRequest(Strict):
    household_id: str = Field(min_length=1, max_length=64, description="户编号")
    as_of: dt.date | None = Field(None, description="the scoring date; default: the household's current run")


class ScoreRequest(Strict):
    as_of: dt.date = Field(description="features use records recorded before this date")
    records: Records = Field(description="one household's rows per contract table")


class RescoreRequest(Strict):
    household_id: str = Field(min_length=1, max_length=64)
    as_of: dt.date | None = Field(None, description="default: the date the household was last scored; rows "
                                                    "recorded on or after as_of do not count (see not_counted)")
    records: Records = Field(default_factory=Records, description="new rows per table, added to the stored ones")


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
    family: Family
    contribution: float
    feature: str
    zh: str
    en: str

    model_config = ConfigDict(extra="ignore")


class Change(BaseModel):
    code: str
    family: Family
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
    """One household of a batch, in the order posted: its answer, or why it was refused (the
    others are still scored)."""

    household_id: str | None = None
    status: int = Field(description="200, or the status /score would have answered")
    result: ScoreResponse | None = None
    error: "ErrorBody | None" = None


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


def posted_tables(records: BaseModel) -> dict[str, pa.Table]:
    """The posted rows of each record table as text columns, in the contract's column order (the
    shape a CSV export has); a table posted with no rows is left out."""
    out = {}
    for name in RECORD_TABLES:
        rows = getattr(records, name)
        if rows:
            out[name] = pa.table({column: _text_column([getattr(row, column) for row in rows])
                                  for column in RECORD_TABLES[name].column_names})
    return out


def as_records(records: BaseModel | dict) -> BaseModel:
    """`Records` from a model or a plain dict (in-process callers); a wrong shape is refused, naming the field."""
    if isinstance(records, Records):
        return records
    try:
        return Records.model_validate(records)
    except ValidationError as exc:
        raise refusal(exc, "records") from None


def refusal(exc: ValidationError, under: str | None = None) -> ServiceError:
    """A 422 naming each field pydantic refused (dotted, below `under` when given)."""
    problems = [Problem(field=".".join([*([under] if under else []), *map(str, error["loc"])]), reason=error["msg"])
                for error in exc.errors()]
    return ServiceError(422, f"{problems[0].field}: {problems[0].reason}", problems)


def posted_rows(records: BaseModel) -> list[tuple[str, dict]]:
    """(table, the fields the caller set) of every posted row, in order."""
    return [(name, row.model_dump(exclude_unset=True)) for name in RECORD_TABLES for row in getattr(records, name)]


def _text_column(values: list) -> pa.Array:
    """A posted column as text (most are text or empty already: those are taken as they are)."""
    if all(value is None or type(value) is str for value in values):
        return pa.array(values, pa.string())
    return pa.array([_as_text(value) for value in values], pa.string())


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


@functools.cache
def empty_text(name: str) -> pa.Table:
    """A record table with no rows, as text (made once: Arrow tables do not change)."""
    return text_header(RECORD_TABLES[name].column_names)
