"""Arrow arrays from NumPy and back through their buffers (:mod:`airpicture.columns`): the same arrays as
pyarrow's own ``pa.array``, ``pa.scalar`` and ``to_numpy``, without importing pandas."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airpicture.columns import arrow_array, arrow_scalar, numpy_of

NUMERIC = [np.float64, np.float32, np.int64, np.int32, np.int16, np.int8, np.uint8, np.uint64]
texts = st.lists(st.one_of(st.none(), st.text(max_size=6)), max_size=30)


def same_numpy(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b)) if a.dtype != object else a.tolist() == b.tolist()


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(NUMERIC), st.integers(0, 40), st.integers(0, 2**31 - 1), st.booleans(), st.booleans())
def test_numbers_both_ways(dtype: type, n: int, seed: int, with_mask: bool, slice_it: bool) -> None:
    rng = np.random.default_rng(seed)
    values = (rng.normal(0, 100, n) if np.dtype(dtype).kind == "f" else rng.integers(0, 100, n)).astype(dtype)
    mask = rng.random(n) < 0.3 if with_mask else None
    ours, ref = arrow_array(values, pa.from_numpy_dtype(values.dtype), mask=mask), pa.array(values, mask=mask)
    ours.validate(full=True)
    assert ours.equals(ref) and ours.type == ref.type and ours.null_count == ref.null_count
    if slice_it and n > 3:  # an offset into the buffers
        ours, ref = ours.slice(2, n - 3), ref.slice(2, n - 3)
    assert same_numpy(numpy_of(ours), ref.to_numpy(zero_copy_only=False))
    chunked = pa.chunked_array([ours, ours], type=ours.type)
    assert same_numpy(numpy_of(chunked), chunked.to_numpy())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), max_size=40), st.integers(0, 5))
def test_flags_both_ways(flags: list[bool], cut: int) -> None:
    values = np.array(flags, dtype=bool)
    ours = arrow_array(values)
    ours.validate(full=True)
    assert ours.equals(pa.array(values))
    part = ours.slice(min(cut, len(flags)))
    assert same_numpy(numpy_of(part), part.to_numpy(zero_copy_only=False))


@settings(max_examples=60, deadline=None)
@given(texts, st.integers(0, 5))
def test_text_both_ways(values: list[str | None], cut: int) -> None:
    ours = arrow_array(values, pa.string())
    ours.validate(full=True)
    assert ours.equals(pa.array(values, type=pa.string()))
    part = ours.slice(min(cut, len(values)))
    assert same_numpy(numpy_of(part), part.to_numpy(zero_copy_only=False))
    if None not in values:
        encoded = pa.chunked_array([part.dictionary_encode(), part.dictionary_encode()])
        assert same_numpy(numpy_of(encoded), encoded.to_numpy())


def test_empty_columns_and_other_types() -> None:
    for typ in (pa.float64(), pa.int64(), pa.bool_(), pa.string()):
        empty = pa.chunked_array([], type=typ)
        assert same_numpy(numpy_of(empty), empty.to_numpy())
    stamps = pa.array([0, 10**6], type=pa.timestamp("us"))  # not handled here: pyarrow converts it
    assert same_numpy(numpy_of(stamps), stamps.to_numpy(zero_copy_only=False))
    assert arrow_array([1, 2], pa.int64()).equals(pa.array([1, 2], pa.int64()))  # a list of numbers: pyarrow


@pytest.mark.parametrize(("value", "typ"), [(-1, pa.int64()), (2.5, pa.float64()), ("", pa.string()),
                                             ("leaked", pa.string()), (7, pa.int32())])
def test_scalars(value: object, typ: pa.DataType) -> None:
    assert arrow_scalar(value, typ).equals(pa.scalar(value, typ))


def test_no_pandas_import() -> None:
    code = ("import sys, numpy as np, pyarrow as pa\nfrom airpicture.columns import arrow_array, numpy_of\n"
            "a = arrow_array(np.arange(4.0), mask=np.array([0, 1, 0, 0], bool))\n"
            "t = arrow_array(['x', None], pa.string())\n"
            "print(numpy_of(pa.chunked_array([a, a])).tolist(), numpy_of(t).tolist(), 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[0.0, nan, 2.0, 3.0, 0.0, nan, 2.0, 3.0] ['x', None] False", out.stderr
