"""A fingerprint of validated tables: the same export gives the same hash, any changed row another."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def data_snapshot_hash(tables: dict[str, pd.DataFrame]) -> str:
    """16 hex digits over every table's rows (order-insensitive within a table)."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        row_hashes = pd.util.hash_pandas_object(tables[name], index=False).to_numpy()
        digest.update(f"{name}:{len(row_hashes)}:{int(row_hashes.sum(dtype=np.uint64))};".encode())
    return digest.hexdigest()[:16]
