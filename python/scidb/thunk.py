"""Lineage and caching for plain Python functions: ``@thunk`` and ``Thunk``.

A thunk is called like the function it wraps. Arguments are sorted by
what they are:

- a loaded variable (``RawEMG.load(...)``) or an earlier thunk result is an
  *input*: the function receives its plain value (``.data``), and lineage
  names the record it came from;
- a number, string or boolean is a *constant*: it is part of the cache key
  and becomes a metadata key of the saved result (``smoothing=0.2``);
- anything else (arrays, lists, dicts, DataFrames, None) is an input known
  by its content hash.

The call's cache key (function identity + input contents + constants) is
looked up first: on a hit the function does not run and the result wraps
the saved value; on a miss the function runs. Either way the call returns
a :class:`ThunkResult` that ``SomeVariable.save(result, **metadata)`` saves
with its lineage, and that other thunks accept as an input.
"""

import ctypes
import functools
import inspect
import json
import math
import numbers
from ctypes import byref, c_char_p, c_int32, c_size_t, c_void_p

import numpy as np

from ._convert import content_hash, owned_value, to_value, value_hash
from ._identity import FunctionIdentity
from ._lib import RECORD_ID_SIZE, Handle, check, encode, lib
from .database import get_database
from .exceptions import TypeMismatchError

__all__ = ["Thunk", "ThunkResult", "thunk"]


class Thunk:
    """Wraps ``fn`` so its calls are cached and their results carry lineage.

    ``unpack_output=True``: the function returns a tuple whose items are
    separate results (saved separately, e.g. as two variable types).
    ``version``: an explicit version that identifies the function instead
    of its source; bump it to force a re-run, keep it to keep the cache
    across edits you know do not change results.
    """

    def __init__(self, fn, unpack_output=False, version=None):
        if isinstance(fn, Thunk):
            fn = fn.fn
        if not callable(fn):
            raise TypeError(f"Thunk needs a function, got {type(fn).__name__}")
        if version is not None and not isinstance(version, (str, int)):
            raise TypeError(f"version must be a str or int, got {type(version).__name__}")
        try:
            self._signature = inspect.signature(fn)
        except (TypeError, ValueError) as e:
            raise TypeError(f"cannot read the parameters of {fn!r}: {e}") from None
        self.fn = fn
        self.unpack_output = bool(unpack_output)
        self.version = None if version is None else str(version)
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self._identity = FunctionIdentity(_python_function(fn))
        functools.update_wrapper(self, fn)

    def __repr__(self):
        return f"Thunk({self.name})"

    def __call__(self, *args, **kwargs):
        db = get_database()
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.name}(): {e}") from None
        spec = _CallSpec(self, _arguments(self, bound))
        found = spec.lookup(db)
        if found is not None:
            results = tuple(
                ThunkResult(spec, i, len(found), record_id=rid, content_hash=h)
                for i, (rid, h) in enumerate(found)
            )
        else:
            out = self.fn(*_unwrapped(bound.args), **_unwrapped(bound.kwargs))
            if self.unpack_output:
                if not isinstance(out, (tuple, list)) or not out:
                    raise TypeError(
                        f"{self.name} is wrapped with unpack_output=True but returned "
                        f"{type(out).__name__}, not a non-empty tuple"
                    )
                results = tuple(ThunkResult(spec, i, len(out), value=v) for i, v in enumerate(out))
            else:
                results = (ThunkResult(spec, 0, 1, value=out),)
        return results if self.unpack_output else results[0]


def _python_function(fn):
    """The Python function whose code identifies ``fn``."""
    if inspect.ismethod(fn):
        fn = fn.__func__
    if not inspect.isfunction(fn) and inspect.isfunction(getattr(type(fn), "__call__", None)):
        fn = type(fn).__call__
    if not inspect.isfunction(fn):
        raise TypeError(
            f"cannot identify {fn!r} by its code (it is not a Python function); "
            "wrap it in a def and make a Thunk of that"
        )
    return fn


def thunk(fn=None, *, unpack_output=False, version=None):
    """Decorator form of :class:`Thunk`: ``@thunk``, or
    ``@thunk(unpack_output=True)`` / ``@thunk(version="2")``."""
    if fn is None:
        return lambda f: Thunk(f, unpack_output=unpack_output, version=version)
    return Thunk(fn, unpack_output=unpack_output, version=version)


class ThunkResult:
    """What a thunk call returned: output ``index`` of the call. ``.data``
    is the plain value (loaded on first use after a cache hit);
    ``.cached`` tells whether the function was skipped; ``.record_id`` is
    set once the result is saved."""

    def __init__(self, spec, index, count, value=None, record_id=None, content_hash=None):
        self._spec = spec
        self.index = index
        self.count = count
        self.cached = record_id is not None
        self._cached_record = record_id
        self._value = value
        self._loaded = record_id is None
        self._hash = content_hash
        self._handle = None
        self.record_id = None

    def __repr__(self):
        how = "cached" if self.cached else "computed"
        return f"<{self._spec.thunk.name} result {self.index + 1}/{self.count}, {how}>"

    @property
    def data(self):
        if not self._loaded:
            records = get_database().record_by_id(None, self._cached_record)
            self._value = records.values()[0]
            self._loaded = True
        return self._value

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.data, dtype=dtype)

    @property
    def content_hash(self):
        if self._hash is None:
            self._hash = value_hash(self._value_handle())
        return self._hash

    def _value_handle(self):
        """The value converted for the library once, for hashing and saving."""
        if self._handle is None:
            self._handle = owned_value(to_value(self.data))
        return self._handle

    def _save(self, db, variable, metadata_json):
        call = self._spec.build(db)
        try:
            if self._spec.thunk.unpack_output:
                check(lib.scidb_call_set_output_count(call.ptr, self.count))
            # A cache hit is saved from its record, without its value.
            value = None if self.cached else self._value_handle().ptr
            rid = ctypes.create_string_buffer(RECORD_ID_SIZE)
            check(
                lib.scidb_call_save_output(
                    db.ptr, call.ptr, self.index, encode(variable, "variable type"), metadata_json, value, rid
                )
            )
        finally:
            call.close()
        if self._handle is not None:
            # Saved: inputs now name the record, the converted copy can go.
            self._handle.close()
            self._handle = None
        self.record_id = rid.value.decode("ascii")
        return self.record_id


class _Input:
    """An argument that is an input: a loaded variable, an earlier result,
    or a value known by its content hash."""

    __slots__ = ("name", "source")

    def __init__(self, name, source):
        self.name = name
        self.source = source  # a BaseVariable, a ThunkResult, or a content hash


def _is_constant(v):
    if isinstance(v, (bool, np.bool_, str)):
        return True
    if isinstance(v, (numbers.Integral, np.integer)):
        return -(2**63) <= int(v) < 2**63
    if isinstance(v, (numbers.Real, np.floating)):
        return math.isfinite(float(v))
    return False


def _constant(v):
    if isinstance(v, np.generic):
        v = v.item()
    return v


def _arguments(t, bound):
    """Inputs and constants of a call, named by parameter (``*args`` items
    as ``name_0``, ``name_1``...; ``**kwargs`` by key)."""
    from .variable import BaseVariable

    named = []
    for name, value in bound.arguments.items():
        kind = t._signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            named.extend((f"{name}_{i}", v) for i, v in enumerate(value))
        elif kind is inspect.Parameter.VAR_KEYWORD:
            named.extend(value.items())
        else:
            named.append((name, value))
    inputs, constants = [], {}
    for name, v in named:
        if isinstance(v, ThunkResult):
            inputs.append(_Input(name, v))
        elif isinstance(v, BaseVariable):
            inputs.append(_Input(name, v if v.record_id else _hash_of(name, v.data)))
        elif _is_constant(v):
            constants[name] = _constant(v)
        elif isinstance(v, type) and issubclass(v, BaseVariable):
            raise TypeMismatchError(
                f"{t.name}(): argument '{name}' is the variable type {v.__name__}; pass a "
                f"loaded record such as {v.__name__}.load(...)"
            )
        else:
            inputs.append(_Input(name, _hash_of(name, v)))
    return inputs, constants


def _hash_of(name, value):
    try:
        return content_hash(value)
    except TypeMismatchError as e:
        raise TypeMismatchError(f"argument '{name}': {e}") from None


def _unwrapped(args):
    from .variable import BaseVariable

    def plain(v):
        if isinstance(v, ThunkResult):
            return v.data
        if isinstance(v, BaseVariable):
            return v.data
        return v

    if isinstance(args, dict):
        return {k: plain(v) for k, v in args.items()}
    return [plain(v) for v in args]


class _CallSpec:
    """A call as the library sees it; built into a C call handle for each
    lookup and save, with inputs resolved to records as they are then."""

    def __init__(self, t, arguments):
        self.thunk = t
        self.inputs, self.constants = arguments
        self.source_hash = t._identity.source_hash()
        self._constants_json = json.dumps(self.constants).encode("utf-8") if self.constants else None

    def build(self, db):
        t = self.thunk
        out = c_void_p()
        check(
            lib.scidb_call_new(
                b"python",
                encode(t.name, "function name"),
                self.source_hash.encode("ascii"),
                None if t.version is None else encode(t.version, "version"),
                0 if t.unpack_output else 1,
                byref(out),
            )
        )
        call = Handle(out.value, lib.scidb_call_free)
        try:
            for i in self.inputs:
                name = encode(i.name, "input name")
                src = i.source
                if isinstance(src, ThunkResult):
                    # Saved, or a cache hit: a record holds it.
                    record = src.record_id or src._cached_record
                else:
                    record = None if isinstance(src, str) else src.record_id
                if record:
                    check(lib.scidb_call_add_input_record(call.ptr, db.ptr, name, encode(record, "record id")))
                else:
                    h = src.content_hash if isinstance(src, ThunkResult) else src
                    check(lib.scidb_call_add_input_hash(call.ptr, name, h.encode("ascii")))
            if self._constants_json:
                check(lib.scidb_call_add_constants(call.ptr, self._constants_json))
        except BaseException:
            call.close()
            raise
        return call

    def lookup(self, db):
        """The (record id, content hash) of each saved output, or None."""
        call = self.build(db)
        try:
            hit = c_int32()
            check(lib.scidb_call_lookup(db.ptr, call.ptr, byref(hit)))
            if not hit.value:
                return None
            n = c_size_t()
            check(lib.scidb_call_output_count(call.ptr, byref(n)))
            found = []
            for i in range(n.value):
                rid, h = c_char_p(), c_char_p()
                check(lib.scidb_call_output_record_id(call.ptr, i, byref(rid)))
                check(lib.scidb_call_output_content_hash(call.ptr, i, byref(h)))
                found.append((rid.value.decode("ascii"), h.value.decode("ascii")))
            return found
        finally:
            call.close()
