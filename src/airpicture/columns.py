"""Arrow arrays from NumPy arrays and back, through their buffers.

``pa.array(ndarray)``, ``Array.to_numpy()`` and ``ChunkedArray.to_numpy()`` all import pandas on their first use
in a process (``pa.array`` asks whether its input is a pandas object; the conversions to NumPy go through
Arrow's pandas converter): ~0.25 s of CPU and ~40 MB of memory in every ``airpicture`` process, although no
table here comes from or goes to pandas. :func:`arrow_array` and :func:`numpy_of` give the same arrays for the
column types the results tables use -- numbers (nulls: True in ``mask`` one way, NaN the other), flags, text,
dictionary-encoded text -- from the buffers directly, and hand anything else to pyarrow
(``tests/test_columns.py`` compares them with pyarrow's own conversions).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

#: Arrow types whose values are one NumPy array of this dtype
_PRIMITIVE: dict[pa.DataType, np.dtype[Any]] = {
    pa.float64(): np.dtype(np.float64), pa.float32(): np.dtype(np.float32), pa.int64(): np.dtype(np.int64),
    pa.int32(): np.dtype(np.int32), pa.int16(): np.dtype(np.int16), pa.int8(): np.dtype(np.int8),
    pa.uint64(): np.dtype(np.uint64), pa.uint32(): np.dtype(np.uint32), pa.uint16(): np.dtype(np.uint16),
    pa.uint8(): np.dtype(np.uint8)}


def arrow_array(values: Any, type: pa.DataType | None = None, mask: NDArray[np.bool_] | None = None) -> pa.Array:
    """``pa.array(values, type, mask=mask)``: for a 1-D NumPy array of numbers (``mask``: True where null) or
    flags, or a list of ``str`` (None: null) as ``string``, built from buffers; anything else (another type, a
    cast) by ``pa.array``."""
    if isinstance(values, np.ndarray) and values.ndim == 1:
        if values.dtype.kind == "b" and (type is None or type == pa.bool_()) and mask is None:
            bits = np.packbits(values, bitorder="little")
            return pa.Array.from_buffers(pa.bool_(), values.shape[0], [None, pa.py_buffer(bits)], null_count=0)
        t = pa.from_numpy_dtype(values.dtype) if type is None and values.dtype.kind in "iuf" else type
        if t in _PRIMITIVE and values.dtype == _PRIMITIVE[t]:
            data = pa.py_buffer(np.ascontiguousarray(values))
            nulls = 0 if mask is None else int(np.count_nonzero(mask))
            if nulls == 0:
                return pa.Array.from_buffers(t, values.shape[0], [None, data], null_count=0)
            valid = pa.py_buffer(np.packbits(~np.asarray(mask, dtype=bool), bitorder="little"))
            return pa.Array.from_buffers(t, values.shape[0], [valid, data], null_count=nulls)
    elif isinstance(values, list) and type == pa.string() and mask is None:
        text = _strings(values)
        if text is not None:
            return text
    return pa.array(values, type=type, mask=mask)


def arrow_scalar(value: Any, type: pa.DataType) -> pa.Scalar:
    """``pa.scalar(value, type)`` for a number or ``str`` (through a one-element :func:`arrow_array`: ``pa.scalar``
    imports pandas too); for the compute functions' arguments."""
    if type == pa.string():
        return arrow_array([value], type)[0]
    if type in _PRIMITIVE:
        return arrow_array(np.array([value], dtype=_PRIMITIVE[type]), type)[0]
    return pa.scalar(value, type)


def _strings(values: list[Any]) -> pa.Array | None:
    """A ``string`` array of ``str`` and None, from its offsets and UTF-8 bytes; None when some value is neither
    (left to ``pa.array``). All-ASCII text (the usual case) is joined and encoded once, its byte lengths being its
    lengths."""
    nulls = np.array([v is None for v in values], dtype=bool) if None in values else None
    n_null = int(np.count_nonzero(nulls)) if nulls is not None else 0
    texts = values if nulls is None else ["" if v is None else v for v in values]
    try:
        joined = "".join(texts)
    except TypeError:
        return None
    if joined.isascii():
        data = joined.encode("ascii")
        lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    else:
        encoded = [v.encode("utf-8") for v in texts]
        data = b"".join(encoded)
        lengths = np.fromiter(map(len, encoded), np.int64, len(encoded))
    offsets = np.zeros(len(values) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] > np.iinfo(np.int32).max:
        return pa.array(values, type=pa.string())
    valid = pa.py_buffer(np.packbits(~nulls, bitorder="little")) if nulls is not None and n_null else None
    return pa.Array.from_buffers(pa.string(), len(values), [valid, pa.py_buffer(offsets.astype(np.int32)),
                                                            pa.py_buffer(data)], null_count=n_null)


def numpy_of(column: pa.Array | pa.ChunkedArray) -> NDArray[Any]:
    """``column.to_numpy()`` (zero-copy not required): numbers as their dtype (with nulls: floats, NaN at the
    nulls), flags as bool, text and dictionary-encoded text as an object array of ``str`` (None at nulls); other
    types by pyarrow. A new array, never a view of the column."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    maybe = [_chunk(c) for c in chunks]
    parts = [p for p in maybe if p is not None]
    if len(parts) < len(maybe):
        return column.to_numpy() if isinstance(column, pa.ChunkedArray) else column.to_numpy(zero_copy_only=False)
    if not parts:
        return _empty(column.type)
    return np.concatenate(parts) if len(parts) > 1 else np.array(parts[0], copy=True)


def _chunk(c: pa.Array) -> NDArray[Any] | None:
    """One chunk's values (see :func:`numpy_of`), None for a type or layout left to pyarrow."""
    t = c.type
    n = len(c)
    if n == 0:
        return _empty(t)
    bufs = c.buffers()
    off = c.offset
    if t in _PRIMITIVE:
        dt = _PRIMITIVE[t]
        v = np.frombuffer(bufs[1], dtype=dt, count=n, offset=off * dt.itemsize)
        if c.null_count == 0:
            return v
        out = v.astype(np.float64 if dt.kind in "iu" else dt)
        out[~_bits(bufs[0], off, n)] = np.nan
        return out
    if t == pa.bool_() and c.null_count == 0:
        return _bits(bufs[1], off, n)
    if t == pa.string():
        o = np.frombuffer(bufs[1], dtype=np.int32, count=n + 1, offset=off * 4).tolist()
        data = bufs[2].to_pybytes() if bufs[2] is not None else b""
        out = np.empty(n, dtype=object)
        out[:] = [data[a:b].decode("utf-8") for a, b in pairwise(o)]
        if c.null_count:
            out[~_bits(bufs[0], off, n)] = None
        return out
    if pa.types.is_dictionary(t) and c.null_count == 0:
        indices = _chunk(c.indices)
        dictionary = _chunk(c.dictionary)
        if indices is None or dictionary is None:
            return None
        return np.take(dictionary, indices)
    return None


def _bits(buf: pa.Buffer, offset: int, n: int) -> NDArray[np.bool_]:
    """Bits ``offset .. offset + n`` of an Arrow bitmap (least significant bit first) as bools."""
    raw = np.frombuffer(buf, dtype=np.uint8, count=(offset + n + 7) // 8)
    return np.unpackbits(raw, count=offset + n, bitorder="little")[offset:].astype(bool)


def _empty(t: pa.DataType) -> NDArray[Any]:
    """The empty array ``to_numpy`` gives for type ``t``."""
    if t in _PRIMITIVE:
        return np.zeros(0, _PRIMITIVE[t])
    if t == pa.bool_():
        return np.zeros(0, bool)
    return np.zeros(0, dtype=object)
