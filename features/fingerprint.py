"""A fingerprint of validated tables: the same export gives the same hash, any changed row another."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def data_snapshot_hash(tables: dict[str, pd.DataFrame]) -> str:
    """16 hex digits over every table's rows (order-insensitive within a table)."""
    return combined_snapshot_hash({name: [table_digest(frame)] for name, frame in tables.items()})


def table_digest(frame: pd.DataFrame) -> tuple[int, int]:
    """(rows, sum of row hashes mod 2**64) of one table or one part of it; parts add up."""
    row_hashes = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return len(row_hashes), int(row_hashes.sum(dtype=np.uint64))


def combined_snapshot_hash(digests: dict[str, list[tuple[int, int]]]) -> str:
    """`data_snapshot_hash` of tables given as the digests of their parts."""
    digest = hashlib.sha256()
    for name in sorted(digests):
        rows = sum(r for r, _ in digests[name])
        total = sum(s for _, s in digests[name]) % (1 << 64)
        digest.update(f"{name}:{rows}:{total};".encode())
    return digest.hexdigest()[:16]
