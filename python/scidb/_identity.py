"""What identifies a Python function for the cache: the text the binding
hands to Rust to hash (``scidb_source_hash``, language "python").

The text is a dump of the function's syntax tree (so comments, docstrings,
formatting and decorators do not count) followed by a description of every
global and closure variable the function uses: modules and library
functions by name (``numpy.sin`` vs ``numpy.cos``), the user's own helper
functions by their syntax trees (recursively), scalars by value, data
(arrays, lists, dicts) by content hash. The text is recomputed when one of
those variables is rebound (a helper redefined in a notebook) or may have
been mutated (data), so a cached result is never one of other code.
"""

import ast
import inspect
import os
import re
import sysconfig
import textwrap
import types

from ._convert import content_hash, source_hash

_MISSING = object()
_MAX_DEPTH = 8
# Immutable values described by their repr.
_SCALARS = (type(None), bool, int, float, complex, str, bytes)
# Where installed libraries and the standard library live: functions from
# there are named, not dumped.
_LIBRARY_DIRS = tuple(
    sorted(
        {
            os.path.realpath(p) + os.sep
            for key in ("stdlib", "platstdlib", "purelib", "platlib")
            for p in [sysconfig.get_paths().get(key)]
            if p
        }
    )
)
_TREE_CACHE = {}
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _is_library(fn):
    filename = fn.__code__.co_filename
    if not filename or filename.startswith("<"):
        return False
    return os.path.realpath(filename).startswith(_LIBRARY_DIRS)


def _strip_docstrings(node):
    for child in ast.walk(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = child.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str):
                child.body = body[1:] or [ast.Pass()]


def _code_text(code):
    """A description of compiled code, for functions without source."""
    consts = [
        _code_text(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts
    ]
    return "code({}, {!r}, {!r}, {}, [{}])".format(
        code.co_code.hex(), code.co_names, code.co_varnames, code.co_argcount, ", ".join(consts)
    )


def _tree_text(fn):
    """The syntax tree of a function, without its name, decorators,
    docstrings, comments or positions (cached per code object)."""
    code = fn.__code__
    text = _TREE_CACHE.get(code)
    if text is not None:
        return text
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        node = tree.body[0] if tree.body else None
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.name != fn.__name__:
            raise ValueError("not a def statement")  # lambdas and the like
        node.decorator_list = []
        node.name = ""
        _strip_docstrings(node)
        text = "ast " + ast.dump(node, include_attributes=False)
    except (OSError, TypeError, SyntaxError, ValueError):
        text = "code " + _code_text(code) + " defaults " + repr((fn.__defaults__, fn.__kwdefaults__))
    _TREE_CACHE[code] = text
    return text


def _global_names(code):
    names = set(code.co_names)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            names |= _global_names(c)
    return names


class _Walk:
    """Describes a function and remembers each variable it looked at, so a
    later call can tell whether the description may have changed."""

    def __init__(self):
        self.watched = []  # (container, key, object seen)
        self.thunks = []  # (identity, text seen) of thunks used inside
        self.volatile = False
        self.seen = set()

    def function(self, fn, depth):
        parts = [_tree_text(fn)]
        g = fn.__globals__
        for name in sorted(_global_names(fn.__code__)):
            obj = g.get(name, _MISSING)
            self.watched.append((g, name, obj))
            # Names not found are builtins or attribute names (in the tree);
            # they stay watched in case a global of that name appears.
            if obj is not _MISSING:
                parts.append(f"global {name} = {self.describe(obj, depth)}")
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                obj = cell.cell_contents
            except ValueError:  # not yet assigned
                obj = _MISSING
            self.watched.append((cell, None, obj))
            if obj is not _MISSING:
                parts.append(f"closure {name} = {self.describe(obj, depth)}")
        return "\n".join(parts)

    def describe(self, obj, depth):
        from .thunk import Thunk  # a thunk used inside another is described by its identity

        if isinstance(obj, Thunk):
            text = obj._identity.text()
            self.thunks.append((obj._identity, text))
            return f"thunk {obj.version!r} {text}"
        if isinstance(obj, types.FunctionType):
            name = f"{obj.__module__}.{obj.__qualname__}"
            if _is_library(obj) or depth >= _MAX_DEPTH or id(obj.__code__) in self.seen:
                return f"function {name}"
            self.seen.add(id(obj.__code__))
            return f"function {name} {{{self.function(obj, depth + 1)}}}"
        if isinstance(obj, types.ModuleType):
            return f"module {obj.__name__}"
        if isinstance(obj, _SCALARS):
            return f"{type(obj).__name__} {obj!r}"
        if isinstance(obj, (tuple, frozenset)) and all(isinstance(x, _SCALARS) for x in obj):
            return f"{type(obj).__name__} {obj!r}"
        if isinstance(obj, type) or callable(obj):
            module = getattr(obj, "__module__", None) or type(obj).__module__
            name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
            if name is not None:
                return f"{type(obj).__name__} {module}.{name}"
        # Data (arrays, lists, dicts, objects) may change in place: describe
        # it by content, again on every call.
        self.volatile = True
        try:
            return f"value {content_hash(obj)}"
        except Exception:
            kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
            # Addresses differ in every process and say nothing of the object.
            return f"object {kind} {_ADDRESS.sub('', repr(obj))}"

    def unchanged(self):
        if self.volatile:
            return False
        if any(identity.text() != text for identity, text in self.thunks):
            return False
        for container, key, obj in self.watched:
            if key is None:
                try:
                    now = container.cell_contents
                except ValueError:
                    now = _MISSING
            else:
                now = container.get(key, _MISSING)
            if now is not obj:
                return False
        return True


class FunctionIdentity:
    """The normalized text of a function and its source hash, recomputed
    only when what they depend on may have changed."""

    def __init__(self, fn):
        self.fn = fn
        self._text = None
        self._hash = None
        self._walk = None

    def text(self):
        if self._text is None or not self._walk.unchanged():
            walk = _Walk()
            walk.seen.add(id(self.fn.__code__))
            text = walk.function(self.fn, 0)
            if text != self._text:
                self._text, self._hash = text, None
            self._walk = walk
        return self._text

    def source_hash(self):
        """64 hex digits, computed by the library from :meth:`text`."""
        text = self.text()
        if self._hash is None:
            self._hash = source_hash("python", text)
        return self._hash
