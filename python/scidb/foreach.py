"""``for_each``: run a function over every combination of metadata values.

The Rust engine plans the run (combinations, the input records of each,
cache hits, missing inputs), loads inputs in bulk, saves outputs with
lineage in batched transactions and writes the run log. This module only
runs the function::

    for_each(bandpass_filter, inputs={"signal": RawEMG, "low_hz": 20},
             outputs=[FilteredEMG], subject=[1, 2, 3], session=["pre", "post"])
"""

import json
import math
import multiprocessing
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from ctypes import byref, c_size_t, c_void_p

import pandas as pd

from ._convert import _free_value, from_value, owned_value, to_value
from ._lib import ForEachSummary, Handle, check, lib, take_string
from .database import get_database
from .thunk import Thunk, _constant, _is_constant
from .variable import BaseVariable

__all__ = ["Fixed", "for_each"]

# Work items loaded and run per round trip (per worker with processes).
_BATCH = 256


class Fixed:
    """An input that does not follow one or more iteration keys:
    ``Fixed(RawEMG, session="baseline")`` loads the baseline record of the
    combination's subject whatever session the combination is."""

    def __init__(self, variable_type, **overrides):
        if not (isinstance(variable_type, type) and issubclass(variable_type, BaseVariable)):
            raise TypeError(f"Fixed needs a BaseVariable subclass, got {variable_type!r}")
        if not overrides:
            raise TypeError("Fixed needs at least one metadata key to hold fixed, e.g. session='baseline'")
        for k, v in overrides.items():
            if not _is_constant(v):
                raise TypeError(f"Fixed {k}= must be a number, text or a boolean, got {type(v).__name__}")
        self.variable_type = variable_type
        self.overrides = {k: _constant(v) for k, v in overrides.items()}

    def __repr__(self):
        keys = ", ".join(f"{k}={v!r}" for k, v in self.overrides.items())
        return f"Fixed({self.variable_type.__name__}, {keys})"


class ForEachError(RuntimeError):
    """Raised with ``raise_on_error=True`` when a combination fails; the
    run log keeps what ran before it."""


def for_each(
    fn,
    inputs,
    outputs,
    dry_run=False,
    workers=1,
    progress=None,
    quiet=False,
    raise_on_error=False,
    reserve_jobs=False,
    lease_seconds=None,
    **iterables,
):
    """Runs ``fn`` once per combination of the ``iterables`` values and
    saves its outputs.

    - ``inputs``: parameter name -> a variable type (the record at the
      combination's metadata), ``Fixed(Type, key=value)`` (that key held
      fixed), or a constant (number, text, boolean) which is passed as is
      and saved as a variant key of the outputs (``smoothing=0.2``).
    - ``outputs``: the variable types of the function's outputs; with more
      than one the function returns a tuple, saved all or none.
    - ``**iterables``: key -> list of values (a scalar is a one-value
      list); an empty list means every value the inputs' records have.
    - ``fn`` is a plain function or a thunk; its identity and inputs make
      a cache key, so combinations already computed are not run again
      (status "cached"), and combinations whose input is missing are
      skipped with the reason.
    - ``dry_run=True`` runs and saves nothing: the statuses say what would
      run ("to_run"), be cached or skipped.
    - ``workers=N`` runs the function in N processes (forked; the parent
      is the only writer).
    - ``progress``: show a progress line on stderr (default: when stderr
      is a terminal); ``quiet=True`` prints nothing at all.
    - ``raise_on_error=True`` stops at the first failure and raises
      :class:`ForEachError` (what ran before it stays saved and logged).
    - ``reserve_jobs=True`` (on a PostgreSQL catalog) shares the
      combinations with every process running the same ``for_each``
      (say, the tasks of a SLURM job array): each claims a few at a time,
      atomically, so every combination runs once; what others ran is
      reported as cached. A claim holds for ``lease_seconds`` (default
      60), renewed while this process lives; a killed process's claims go
      to another when they run out. See ``Database.jobs`` and
      docs/cluster.md. On a DuckDB file it runs as without it.

    Returns a DataFrame with a row per combination: the iteration keys,
    ``status`` ("ran", "cached", "skipped", "failed" or "to_run"),
    ``message`` (why skipped, or the traceback of a failure) and a
    ``<Type>_record_id`` column per output. ``df.attrs["summary"]`` holds
    the counts and ``run_id`` (see ``Database.run_log``).
    """
    db = get_database()
    t = fn if isinstance(fn, Thunk) else Thunk(fn)
    outputs = list(outputs)
    for o in outputs:
        if not (isinstance(o, type) and issubclass(o, BaseVariable)):
            raise TypeError(f"outputs must be BaseVariable subclasses, got {o!r}")
    if not isinstance(inputs, dict):
        raise TypeError("inputs must be a dict of parameter name -> variable type, Fixed or constant")
    spec_inputs, constants = _describe_inputs(inputs)
    spec = {
        "function": {
            "language": "python",
            "name": t.name,
            "source_hash": t._identity.source_hash(),
            "version": t.version,
        },
        "n_outputs": 0 if t.unpack_output else len(outputs),
        "iterate": [[k, _values(k, v)] for k, v in iterables.items()],
        "inputs": spec_inputs,
        "outputs": [o.variable_name() for o in outputs],
        "reserve_jobs": bool(reserve_jobs),
    }
    if lease_seconds is not None:
        spec["lease_seconds"] = float(lease_seconds)
    out = c_void_p()
    check(lib.scidb_foreach_new(db.ptr, json.dumps(spec).encode("utf-8"), byref(out)))
    plan = Handle(out.value, lib.scidb_foreach_free)
    try:
        if not dry_run:
            run = _Run(db, plan, t, spec_inputs, constants, len(outputs), progress, quiet, raise_on_error)
            run.execute(max(1, int(workers)))
        report = json.loads(_report(plan))
        summary = _summary_text(plan)
    finally:
        plan.close()
    df = _frame(report, list(iterables), outputs)
    if not quiet:
        sys.stderr.write(summary)
    return df


def _describe_inputs(inputs):
    spec, constants = [], {}
    for name, v in inputs.items():
        if not isinstance(name, str):
            raise TypeError(f"input names must be str, got {name!r}")
        if isinstance(v, Fixed):
            spec.append({"name": name, "variable": v.variable_type.variable_name(), "fixed": v.overrides})
        elif isinstance(v, type) and issubclass(v, BaseVariable):
            spec.append({"name": name, "variable": v.variable_name()})
        elif _is_constant(v):
            constants[name] = _constant(v)
            spec.append({"name": name, "constant": constants[name]})
        else:
            raise TypeError(
                f"input '{name}' must be a variable type, Fixed(...) or a constant "
                f"(number, text, boolean), got {type(v).__name__}"
            )
    return spec, constants


def _values(key, v):
    if isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
        v = [v]
    out = []
    for x in v:
        if not _is_constant(x):
            raise TypeError(f"values of '{key}' must be numbers, text or booleans, got {x!r}")
        out.append(_constant(x))
    return out


def _report(plan):
    p = c_void_p()
    check(lib.scidb_foreach_report_json(plan.ptr, byref(p)))
    return take_string(p.value)


def _summary_text(plan):
    """The summary the core writes for every language."""
    p = c_void_p()
    check(lib.scidb_foreach_summary_text(plan.ptr, byref(p)))
    return take_string(p.value)


class _Run:
    """Drives the engine: fetch work, run the function, hand results back."""

    def __init__(self, db, plan, t, spec_inputs, constants, n_outputs, progress, quiet, raise_on_error):
        self.db, self.plan, self.t = db, plan, t
        self.variables = [(i, s["name"]) for i, s in enumerate(spec_inputs) if "variable" in s]
        self.constants = constants
        self.n_outputs = n_outputs
        self.tuple_out = t.unpack_output or n_outputs > 1
        self.raise_on_error = raise_on_error
        self.first_error = None
        summary = ForEachSummary()
        check(lib.scidb_foreach_summary_get(plan.ptr, byref(summary)))
        self.total = summary.to_run
        show = sys.stderr.isatty() if progress is None else bool(progress)
        self.progress = _Progress(t.name, self.total) if show and not quiet and self.total else None

    def execute(self, workers):
        try:
            if workers > 1 and self.total > 1:
                self._in_processes(workers)
            else:
                self._here()
        finally:
            summary = ForEachSummary()
            check(lib.scidb_foreach_finish(self.db.ptr, self.plan.ptr, byref(summary)))
            if self.progress:
                self.progress.close()
        if self.first_error is not None:
            raise ForEachError(self.first_error)

    def _batches(self, size):
        indices = (c_size_t * size)()
        n = c_size_t()
        while self.first_error is None:
            check(lib.scidb_foreach_next(self.db.ptr, self.plan.ptr, size, indices, byref(n)))
            if not n.value:
                return
            yield [(indices[i], self._kwargs(indices[i])) for i in range(n.value)]

    def _kwargs(self, index):
        kwargs = dict(self.constants)
        for pos, name in self.variables:
            out = c_void_p()
            check(lib.scidb_foreach_item_input(self.plan.ptr, index, pos, byref(out)))
            handle = owned_value(out.value)
            kwargs[name] = from_value(handle.ptr, handle)
        return kwargs

    def _here(self):
        fn = self.t.fn
        for batch in self._batches(_BATCH):
            for index, kwargs in batch:
                if self.first_error is not None:
                    return
                try:
                    result = (True, fn(**kwargs))
                except Exception:
                    result = (False, traceback.format_exc())
                self._hand_back(index, result)

    def _in_processes(self, workers):
        global _WORKER_FN
        _WORKER_FN = self.t.fn
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for batch in self._batches(_BATCH * workers):
                chunk = max(1, len(batch) // (workers * 4))
                results = pool.map(_run_in_worker, [kw for _, kw in batch], chunksize=chunk)
                for (index, _), result in zip(batch, results):
                    if self.first_error is not None:
                        return
                    self._hand_back(index, result)

    def _hand_back(self, index, result):
        ok, value = result
        if ok:
            try:
                self._done(index, value)
            except Exception:
                ok, value = False, traceback.format_exc()
        if not ok:
            check(lib.scidb_foreach_item_failed(self.plan.ptr, index, value.replace("\x00", "\\x00").encode("utf-8", "replace")))
            if self.raise_on_error and self.first_error is None:
                meta = _take_metadata(self.plan, index)
                self.first_error = f"{self.t.name} failed at {meta}:\n{value}"
        if self.progress:
            self.progress.step(ok)

    def _done(self, index, value):
        if self.tuple_out:
            if not isinstance(value, (tuple, list)) or len(value) != self.n_outputs:
                got = f"{len(value)} values" if isinstance(value, (tuple, list)) else type(value).__name__
                raise TypeError(f"{self.t.name} must return a tuple of {self.n_outputs} outputs, got {got}")
            values = value
        else:
            values = (value,)
        handles = (c_void_p * len(values))()
        try:
            for i, v in enumerate(values):
                handles[i] = to_value(getattr(v, "data", v) if _is_result(v) else v)
        except BaseException:
            for h in handles:
                if h:
                    _free_value(h)
            raise
        # The library owns the values from here on, whatever it returns.
        check(lib.scidb_foreach_item_done(self.db.ptr, self.plan.ptr, index, handles, len(values)))


def _is_result(v):
    from .thunk import ThunkResult

    return isinstance(v, (ThunkResult, BaseVariable))


def _take_metadata(plan, index):
    p = c_void_p()
    check(lib.scidb_foreach_item_metadata_json(plan.ptr, index, byref(p)))
    return take_string(p.value)


# The function a forked worker runs: set in the parent before the fork,
# so functions that do not pickle (thunks, closures) work too.
_WORKER_FN = None


def _run_in_worker(kwargs):
    try:
        return (True, _WORKER_FN(**kwargs))
    except Exception:
        return (False, traceback.format_exc())


class _Progress:
    """A one-line progress display on stderr."""

    def __init__(self, name, total):
        self.name, self.total = name, total
        self.done = self.failed = 0
        self.start = self.last = time.monotonic()

    def step(self, ok):
        self.done += 1
        self.failed += not ok
        now = time.monotonic()
        if now - self.last >= 0.1 or self.done == self.total:
            self.last = now
            self._show(now)

    def _show(self, now):
        elapsed = now - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else math.inf
        eta = f"{left:.0f} s left" if math.isfinite(left) else ""
        sys.stderr.write(
            f"\rfor_each {self.name}: {self.done}/{self.total} run, {self.failed} failed, "
            f"{elapsed:.1f} s {eta}   "
        )
        sys.stderr.flush()

    def close(self):
        self._show(time.monotonic())
        sys.stderr.write("\n")
        sys.stderr.flush()


def _frame(report, keys, outputs):
    rows = []
    for c in report["combinations"]:
        row = {k: c["metadata"].get(k) for k in keys}
        row["status"] = c["status"]
        row["message"] = c["message"]
        ids = c["record_ids"]
        for i, o in enumerate(outputs):
            row[f"{o.variable_name()}_record_id"] = ids[i] if i < len(ids) else None
        rows.append(row)
    columns = keys + ["status", "message"] + [f"{o.variable_name()}_record_id" for o in outputs]
    df = pd.DataFrame(rows, columns=columns)
    df.attrs["summary"] = report["summary"]
    df.attrs["run_id"] = report["summary"]["run_id"]
    return df

