"""Python values to scidb values and back, through the C ABI.

numpy arrays are passed to C by pointer (C- or Fortran-ordered without a
copy on the Python side) and come back as arrays that wrap the library's
buffer without copying. DataFrames travel as Arrow streams (``_tables``).
"""

import ctypes
import struct
from ctypes import byref, c_size_t, c_uint32, c_uint64, c_void_p

import numpy as np

from . import _tables
from ._lib import (
    ARRAY_COLUMN_MAJOR,
    ARRAY_SCALAR,
    KIND_LIST,
    KIND_MAP,
    KIND_NULL,
    KIND_STRING,
    KIND_TABLE,
    HASH_SIZE,
    ArrayView,
    Handle,
    check,
    encode,
    lib,
)
from .exceptions import TypeMismatchError

# dtype codes of the C ABI, in code order.
DTYPES = [
    np.dtype(np.bool_),
    np.dtype(np.int8),
    np.dtype(np.int16),
    np.dtype(np.int32),
    np.dtype(np.int64),
    np.dtype(np.uint8),
    np.dtype(np.uint16),
    np.dtype(np.uint32),
    np.dtype(np.uint64),
    np.dtype(np.float32),
    np.dtype(np.float64),
    np.dtype(np.complex64),
    np.dtype(np.complex128),
]
CODES = {dt: i for i, dt in enumerate(DTYPES)}
# 0-d values saved from a Python number come back as the Python number.
_NATIVE = {np.dtype(np.bool_): bool, np.dtype(np.int64): int, np.dtype(np.float64): float, np.dtype(np.complex128): complex}
# Python scalars decoded straight from their little-endian bytes.
_NATIVE_FORMATS = {np.dtype(np.bool_): "<?", np.dtype(np.int64): "<q", np.dtype(np.float64): "<d"}
# The core's one nesting limit (a list of numbers has depth 1); conversion
# stops there, so a deep or self-containing list never exhausts the stack.
_MAX_DEPTH = lib.scidb_max_depth()


def _free_value(ptr):
    p = c_void_p(ptr)
    lib.scidb_value_free(byref(p))


def _new(fn, *args):
    out = c_void_p()
    check(fn(*args, byref(out)))
    return out.value


def to_value(obj):
    """A new C value handle for a Python object; the caller frees it."""
    return _build(obj, 0)


def _array_handle(arr, scalar):
    dtype = arr.dtype
    if not dtype.isnative:
        arr = arr.astype(dtype.newbyteorder("="))
        dtype = arr.dtype
    code = CODES.get(dtype)
    if code is None:
        raise TypeMismatchError(
            f"cannot save a numpy array of dtype {dtype}; supported dtypes are "
            + ", ".join(str(d) for d in DTYPES)
        )
    flags = ARRAY_SCALAR if scalar else 0
    if arr.flags.c_contiguous:
        pass
    elif arr.flags.f_contiguous:
        flags |= ARRAY_COLUMN_MAJOR
    else:
        arr = np.ascontiguousarray(arr)
    shape = (c_uint64 * max(arr.ndim, 1))(*arr.shape)
    return _new(
        lib.scidb_value_new_array,
        code,
        shape,
        arr.ndim,
        c_void_p(arr.ctypes.data),
        arr.nbytes,
        flags,
    )


def _check_depth(depth):
    # `depth` counts the lists and dicts around the container being built.
    if depth >= _MAX_DEPTH:
        raise TypeMismatchError(
            f"value is nested deeper than {_MAX_DEPTH} lists or dicts (or contains itself); "
            f"scidb stores at most {_MAX_DEPTH} levels"
        )


def _build(obj, depth):
    if obj is None:
        return _new(lib.scidb_value_new_null)
    if isinstance(obj, bool):
        return _array_handle(np.array(obj, dtype=np.bool_), True)
    if isinstance(obj, int):
        if not -(2**63) <= obj < 2**63:
            raise TypeMismatchError(
                f"integer {obj} does not fit in int64; save it as np.uint64 or a float"
            )
        return _array_handle(np.array(obj, dtype=np.int64), True)
    if isinstance(obj, float):
        return _array_handle(np.array(obj, dtype=np.float64), True)
    if isinstance(obj, complex):
        return _array_handle(np.array(obj, dtype=np.complex128), True)
    if isinstance(obj, np.generic) and not isinstance(obj, (np.str_, np.bytes_, np.void, np.object_)):
        return _array_handle(np.asarray(obj), True)
    if isinstance(obj, np.ndarray):
        _refuse_array_subclass(obj)
        return _array_handle(obj, False)
    if isinstance(obj, str):
        data = obj.encode("utf-8")
        return _new(lib.scidb_value_new_string, data, len(data))
    if isinstance(obj, (list, tuple)):
        _check_depth(depth)
        return _container(lib.scidb_value_new_list, obj, depth, None)
    if isinstance(obj, dict):
        _check_depth(depth)
        for k in obj:
            if not isinstance(k, str):
                raise TypeMismatchError(
                    f"dict keys must be str to be saved; got key {k!r} ({type(k).__name__})"
                )
        return _container(lib.scidb_value_new_map, obj.items(), depth, True)
    if _is_dataframe(obj):
        return _tables.new_table(obj)
    raise TypeMismatchError(
        f"cannot save an object of type {type(obj).__module__}.{type(obj).__qualname__}; "
        "scidb saves None, bool, int, float, complex, str, numpy arrays and scalars, "
        "lists, tuples, dicts with str keys and pandas DataFrames"
    )


def _refuse_array_subclass(arr):
    """ndarray subclasses carry more than their elements (a mask, matrix
    semantics, units...), which would be silently dropped: refuse them.
    np.memmap is only where the elements live, so it is saved as an array."""
    if type(arr) is np.ndarray or type(arr) is np.memmap:
        return
    name = f"{type(arr).__module__}.{type(arr).__qualname__}"
    if isinstance(arr, np.ma.MaskedArray):
        raise TypeMismatchError(
            f"cannot save a {name}: its mask would be lost; save arr.filled(fill_value) "
            "(the data with masked cells replaced), or the data and the mask separately, "
            "e.g. {'data': arr.data, 'mask': np.ma.getmaskarray(arr)}"
        )
    if isinstance(arr, np.matrix):
        raise TypeMismatchError(
            f"cannot save a {name}: it would load back as an ndarray (matrix semantics lost); "
            "save np.asarray(m) instead"
        )
    raise TypeMismatchError(
        f"cannot save a {name} (an ndarray subclass): only its elements would be saved and it "
        "would load back as a plain ndarray; save np.asarray(x) instead"
    )


def _container(new, items, depth, is_map):
    handle = _new(new)
    try:
        for item in items:
            key, v = item if is_map else (None, item)
            child = c_void_p(_build(v, depth + 1))
            try:
                if is_map:
                    check(lib.scidb_value_map_insert(handle, encode(key, "dict key"), byref(child)))
                else:
                    check(lib.scidb_value_list_push(handle, byref(child)))
            finally:
                if child.value:
                    lib.scidb_value_free(byref(child))
    except BaseException:
        _free_value(handle)
        raise
    return handle


def _is_dataframe(obj):
    try:
        import pandas as pd
    except ImportError:
        return False
    return isinstance(obj, pd.DataFrame)


class _Buffer:
    """Exposes C-owned array memory to numpy; keeps its owner alive."""

    def __init__(self, ptr, shape, dtype, owner):
        self.__array_interface__ = {
            "data": (ptr, False),
            "shape": tuple(shape),
            "typestr": dtype.str,
            "version": 3,
        }
        self._owner = owner


def from_value(ptr, owner):
    """The Python object for a C value. `owner` keeps the memory `ptr`
    points into alive; arrays wrap that memory without copying."""
    view = ArrayView()
    # Arrays are the common case: ask for the array view first.
    if lib.scidb_value_array(ptr, byref(view)) == 0:
        dtype = DTYPES[view.dtype]
        if view.ndim == 0:
            if view.is_scalar and dtype in _NATIVE_FORMATS:
                return struct.unpack(_NATIVE_FORMATS[dtype], ctypes.string_at(view.data, view.nbytes))[0]
            value = np.frombuffer(ctypes.string_at(view.data, view.nbytes), dtype=dtype)[0]
            if view.is_scalar:
                native = _NATIVE.get(dtype)
                return native(value) if native else value
            return np.array(value, dtype=dtype)
        shape = [view.shape[i] for i in range(view.ndim)]
        if view.nbytes == 0:
            return np.empty(shape, dtype=dtype)
        return np.asarray(_Buffer(view.data, shape, dtype, owner))
    kind = c_uint32()
    check(lib.scidb_value_kind(ptr, byref(kind)))
    k = kind.value
    if k == KIND_NULL:
        return None
    if k == KIND_STRING:
        p, n = c_void_p(), c_size_t()
        check(lib.scidb_value_string(ptr, byref(p), byref(n)))
        return ctypes.string_at(p, n.value).decode("utf-8") if n.value else ""
    if k == KIND_LIST:
        n = c_size_t()
        check(lib.scidb_value_len(ptr, byref(n)))
        out = []
        for i in range(n.value):
            item = c_void_p()
            check(lib.scidb_value_list_get(ptr, i, byref(item)))
            out.append(from_value(item, owner))
        return out
    if k == KIND_MAP:
        n = c_size_t()
        check(lib.scidb_value_len(ptr, byref(n)))
        out = {}
        for i in range(n.value):
            key, key_len, item = c_void_p(), c_size_t(), c_void_p()
            check(lib.scidb_value_map_entry(ptr, i, byref(key), byref(key_len), byref(item)))
            name = ctypes.string_at(key, key_len.value).decode("utf-8") if key_len.value else ""
            out[name] = from_value(item, owner)
        return out
    if k == KIND_TABLE:
        return _tables.from_value(ptr)
    raise TypeMismatchError(f"the library returned an unknown value kind {k}")


def owned_value(ptr):
    """A Handle that frees an owned C value."""
    return Handle(ptr, lib.scidb_value_free)


def content_hash(obj):
    """The content hash (64 hex digits) scidb gives a Python value."""
    buf = ctypes.create_string_buffer(HASH_SIZE)
    contiguous = type(obj) is np.ndarray and (obj.flags.c_contiguous or obj.flags.f_contiguous)
    if contiguous and obj.dtype.isnative and obj.dtype in CODES:
        # Hashed where it lies: no copy into a value first (a Fortran-order
        # matrix is reordered by the library through a bounded buffer).
        flags = 0 if obj.flags.c_contiguous else ARRAY_COLUMN_MAJOR
        shape = (c_uint64 * max(obj.ndim, 1))(*obj.shape)
        ptr = c_void_p(obj.ctypes.data)
        check(lib.scidb_array_hash(CODES[obj.dtype], shape, obj.ndim, ptr, obj.nbytes, flags, buf))
        return buf.value.decode("ascii")
    handle = owned_value(to_value(obj))
    try:
        return value_hash(handle)
    finally:
        handle.close()


def value_hash(handle):
    """The content hash of an owned value handle."""
    buf = ctypes.create_string_buffer(HASH_SIZE)
    check(lib.scidb_value_hash(handle.ptr, buf))
    return buf.value.decode("ascii")


def source_hash(language, text):
    """The source hash the library gives a function's normalized text."""
    data = text.encode("utf-8")
    buf = ctypes.create_string_buffer(HASH_SIZE)
    check(lib.scidb_source_hash(language.encode("ascii"), data, len(data), buf))
    return buf.value.decode("ascii")
