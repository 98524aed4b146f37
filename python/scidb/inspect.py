"""Looking at the pipeline: which steps' outputs are out of date
(``Database.status``) and the pipeline picture (``Database.graph``).

The library computes both (the same facts the ``scidb status`` and
``scidb graph`` commands print); this module only calls it and wraps the
picture for Jupyter.
"""

import json
import pathlib
from ctypes import byref, c_char_p, c_void_p

from ._lib import PP, P, _declare, check, lib, take_string

_declare("scidb_status_json", [P, c_char_p, PP])
_declare("scidb_graph_text", [P, c_char_p, PP])

FORMATS = {".dot": "dot", ".svg": "svg", ".html": "html", ".htm": "html"}


def function_identity(fn):
    """The identity ``for_each`` records for ``fn`` (a plain function or a
    ``@thunk``): language, name, source hash and version."""
    from .thunk import Thunk

    t = fn if isinstance(fn, Thunk) else Thunk(fn)
    return {
        "language": "python",
        "name": t.name,
        "source_hash": t._identity.source_hash(),
        "version": t.version,
    }


def status(db, fn=None):
    """Every pipeline step (a function and an output type) with how many of
    its current outputs are up to date and how many are stale: a list of
    dicts with ``function``, ``language``, ``output``, ``outputs``,
    ``current``, ``stale`` and ``stale_outputs`` (each with ``record_id``,
    ``metadata``, ``reason`` and ``input``). An output is stale when an
    input has a newer version than the one it was computed from, or an
    input is itself stale; given ``fn`` (the function as it is now), the
    outputs its step made with another source or version are stale too
    (reason ``"function_changed"``)."""
    ident = None if fn is None else json.dumps(function_identity(fn)).encode("utf-8")
    out = c_void_p()
    check(lib.scidb_status_json(db.ptr, ident, byref(out)))
    return json.loads(take_string(out.value))


class PipelineGraph:
    """The pipeline picture: variable types (with record counts) and the
    functions between them (language, constants, stale outputs). Jupyter
    shows it inline; ``save(path)`` writes ``.svg``, ``.html`` or ``.dot``."""

    def __init__(self, db):
        self._db = db
        self.data = json.loads(self._text("json"))
        self._svg = None

    def _text(self, kind):
        out = c_void_p()
        check(lib.scidb_graph_text(self._db.ptr, kind.encode("ascii"), byref(out)))
        return take_string(out.value)

    @property
    def dot(self):
        """Graphviz DOT text."""
        return self._text("dot")

    @property
    def svg(self):
        """The picture as SVG text (laid out by the library)."""
        if self._svg is None:
            self._svg = self._text("svg")
        return self._svg

    def _repr_svg_(self):
        return self.svg

    def _repr_html_(self):
        return f'<div class="scidb-pipeline">{self.svg}</div>'

    def save(self, path):
        """Writes the picture; the extension (.svg, .html, .dot) chooses the
        format. Returns the path."""
        path = pathlib.Path(path)
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            raise ValueError(f"{path}: the file name must end in .svg, .html or .dot")
        path.write_text(self._text(kind), encoding="utf-8")
        return path

    def __repr__(self):
        v = len(self.data["variables"])
        f = len(self.data["functions"])
        return f"<PipelineGraph: {v} variable types, {f} functions>"


def graph(db):
    """The pipeline picture of ``db`` (see :class:`PipelineGraph`)."""
    return PipelineGraph(db)
