"""Arrow tables compared by content: what a change of Parquet writing options must keep."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def tables_equal(a: pa.Table, b: pa.Table) -> bool:
    """Equal schemas, row counts and values, NaN equal to NaN (``pa.Table.equals`` holds NaN unequal)."""
    if not a.schema.equals(b.schema) or a.num_rows != b.num_rows:
        return False
    for name in a.column_names:
        x, y = a.column(name), b.column(name)
        if not (x.equals(y) or (pa.types.is_floating(x.type)
                                and np.array_equal(x.to_numpy(), y.to_numpy(), equal_nan=True))):
            return False
    return True
