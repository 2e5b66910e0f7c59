"""Frames made straight from their columns' arrays.

Given a dict, pandas' DataFrame constructor builds a text index of the column names and checks
every array again; on a request's tables of a few rows that is most of what a frame costs. Here
the index of a set of column names is made once, and arrays that are already 1-D and of the
frame's length (numpy arrays or pandas' extension arrays) go into the frame's blocks as they are.
Long frames are left to the constructor: there the arrays' copy into shared blocks would cost more
than the rest.
"""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd

LONG_ROWS = 1 << 16  # frames this long are made by pandas' constructor, without copying the columns together


@functools.lru_cache(maxsize=1024)
def column_index(names: tuple[str, ...]) -> pd.Index:
    """The columns index of a frame with these names (as pandas would infer it)."""
    return pd.Index(list(names))


def frame_of(columns: dict[str, np.ndarray | pd.api.extensions.ExtensionArray], n_rows: int,
             index: pd.Index | None = None) -> pd.DataFrame:
    """A frame of `columns` in their order: each a numpy array (not of objects) or an extension array
    of `n_rows` values, taken without a copy."""
    arrays = list(columns.values())
    for name, values in columns.items():
        if isinstance(values, pd.Series | pd.Index) or np.ndim(values) != 1 or len(values) != n_rows:
            raise ValueError(f"column {name} is not a 1-D array of {n_rows} values")
        if isinstance(values, np.ndarray) and values.dtype == object:
            raise ValueError(f"column {name} holds Python objects; give it as a typed array (text as pandas' str)")
    index = pd.RangeIndex(n_rows) if index is None else index
    if n_rows >= LONG_ROWS:  # long columns: the cost is in the data, which the constructor leaves unstacked
        return pd.DataFrame(columns, index=index, copy=False)
    return pd.DataFrame._from_arrays(arrays, columns=column_index(tuple(columns)), index=index,
                                     verify_integrity=False)
