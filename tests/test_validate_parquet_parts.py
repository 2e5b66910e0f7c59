"""A Parquet table may be a folder of parts, read in the parts' name order."""
from __future__ import annotations

import pandas as pd
import pytest

from features.read import read_export, table_path
from stayout.errors import TableUnusableError
from tests.tiny_export import tiny_tables, with_row, write_tiny_export


def _income_rows() -> pd.DataFrame:
    """The tiny income table plus two more rows, the second of them negative (invalid)."""
    tables = with_row(tiny_tables(), "income", period_start="2022-07-01", period_end="2022-07-31",
                      recorded_at="2022-08-25")
    tables = with_row(tables, "income", period_start="2022-08-01", period_end="2022-08-31", amount_yuan="-1",
                      recorded_at="2022-09-25")
    return tables["income"]


def _write_parts(folder, parts: dict[str, pd.DataFrame]):
    """`folder/income.parquet/` holding `parts` by file name, in place of the income file."""
    (folder / "income.csv").unlink()
    parts_dir = folder / "income.parquet"
    parts_dir.mkdir()
    for name, frame in parts.items():
        frame.to_parquet(parts_dir / name, index=False)
    return parts_dir


def test_parts_are_read_in_name_order_and_rows_count_across_them(tmp_path):
    folder = write_tiny_export(tmp_path / "export")
    rows = _income_rows()
    # written out of order: the name, not the writing order, decides
    _write_parts(folder, {"part-00010.parquet": rows.iloc[5:], "part-00002.parquet": rows.iloc[2:5],
                          "part-00001.parquet": rows.iloc[:2]})
    (folder / "income.parquet" / "_SUCCESS").write_text("", encoding="utf-8")
    export = read_export(folder, tmp_path / "q")
    income = export.validation.tables["income"]
    assert income.read == 7 and income.reconciles
    assert list(income.quarantined["row_number"]) == [7]
    assert list(export["income"]["amount_yuan"]) == [float(v) for v in rows["amount_yuan"].iloc[:6]]
    quarantine = pd.read_csv(tmp_path / "q" / "income.csv", dtype=str)
    assert quarantine.loc[0, "amount_yuan"] == "-1" and quarantine.loc[0, "row_number"] == "7"


def test_parts_give_the_rows_of_one_file(tmp_path):
    one_file = read_export(write_tiny_export(tmp_path / "a", file_format="parquet"))
    folder = write_tiny_export(tmp_path / "b")
    _write_parts(folder, {"part-0.parquet": tiny_tables()["income"].iloc[:3],
                          "part-1.parquet": tiny_tables()["income"].iloc[3:]})
    pd.testing.assert_frame_equal(read_export(folder)["income"], one_file["income"])


def test_a_folder_wins_over_a_csv_file(tmp_path):
    folder = write_tiny_export(tmp_path / "export")
    parts_dir = _write_parts(folder, {"part-0.parquet": tiny_tables()["income"]})
    tiny_tables()["income"].iloc[:1].to_csv(folder / "income.csv", index=False)
    assert table_path(folder, "income") == parts_dir
    assert len(read_export(folder)["income"]) == 5


def test_a_folder_without_parts_is_unusable(tmp_path):
    folder = write_tiny_export(tmp_path / "export")
    _write_parts(folder, {})
    (folder / "income.parquet" / "_SUCCESS").write_text("", encoding="utf-8")
    with pytest.raises(TableUnusableError, match="income.*no Parquet parts"):
        read_export(folder)


def test_parts_that_disagree_on_types_are_unusable(tmp_path):
    folder = write_tiny_export(tmp_path / "export")
    first, second = tiny_tables()["income"].iloc[:2], tiny_tables()["income"].iloc[2:]
    second = second.assign(amount_yuan=second["amount_yuan"].astype(float))
    _write_parts(folder, {"part-0.parquet": first, "part-1.parquet": second})
    with pytest.raises(TableUnusableError, match="income.*parts do not share"):
        read_export(folder)


def test_a_part_that_is_not_parquet_is_unusable(tmp_path):
    folder = write_tiny_export(tmp_path / "export")
    parts_dir = _write_parts(folder, {"part-0.parquet": tiny_tables()["income"]})
    (parts_dir / "part-1.parquet").write_text("household_id\nH001\n", encoding="utf-8")
    with pytest.raises(TableUnusableError, match="income.*cannot be read"):
        read_export(folder)


def test_a_folder_inside_the_parts_folder_is_unusable_not_skipped(tmp_path):
    folder = write_tiny_export(tmp_path / "export")
    parts_dir = _write_parts(folder, {"part-0.parquet": tiny_tables()["income"].iloc[:2]})
    (parts_dir / "year=2022").mkdir()
    tiny_tables()["income"].iloc[2:].to_parquet(parts_dir / "year=2022" / "part-1.parquet", index=False)
    with pytest.raises(TableUnusableError, match=r"income.*holds folders \(year=2022\)"):
        read_export(folder)
