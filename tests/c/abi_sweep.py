#!/usr/bin/env python3
"""Generates the C ABI sweep from include/scidb.h.

Every function the header declares is called once with plausible
arguments (the baseline) and then once per alternative of each parameter
in turn (NULL, empty, malformed text, wrong handle kinds, extreme numbers,
released Arrow structs...), the other parameters at their baseline. The
generated program checks that every call returns a status from the table
(never SCIDB_PANIC), that a failure leaves a message in
scidb_last_error(), that Arrow structs moved in are released, and, run
under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer,
that nothing is read or written out of bounds and nothing leaks.

The parameters are recognised by their type and name. A function with a
parameter this script does not know makes it fail, so a new function in
the header cannot be missed by the sweep.

Usage: abi_sweep.py include/scidb.h > abi_sweep.c
"""
import re
import sys

HANDLES = {
    "scidb_db": ("fresh_db()", "scidb_db_free"),
    "scidb_records": ("fresh_records()", "scidb_records_free"),
    "scidb_call": ("fresh_call()", "scidb_call_free"),
    "scidb_foreach": ("fresh_plan()", "scidb_foreach_free"),
    "scidb_chunk_writer": ("fresh_writer()", "scidb_chunk_writer_free"),
    "scidb_chunk_reader": ("fresh_reader()", "scidb_chunk_reader_free"),
    "scidb_stream": ("fresh_stream()", "scidb_stream_free"),
    "scidb_value": ("fresh_value()", "scidb_value_free"),
}
SHARED = {
    "scidb_db": "g_db",
    "scidb_records": "g_records",
    "scidb_call": "g_call",
    "scidb_foreach": "g_plan",
    "scidb_chunk_writer": "g_writer",
    "scidb_chunk_reader": "g_reader",
    "scidb_stream": "g_stream",
}
VALUE_KINDS = ["g_null", "g_array", "g_string", "g_list", "g_map", "g_table"]

# Text arguments by parameter name: baseline first. Strings that pair with
# a length are at least LEN_TEXT bytes long, so no alternative is shorter
# than the baseline length.
LEN_TEXT = 13
TEXT = {
    "variable": ['"V"', "NULL", '""', '"NoSuchType"', '"bad name!"', '"\\xff"'],
    "metadata_json": ['"{\\"subject\\": 1}"', "NULL", '""', '"{"', '"[]"',
                      '"{\\"subject\\": {\\"a\\": 1}}"', '"{\\"subject\\": 1e999}"',
                      '"{\\"subject\\": 100000000000000000000000}"'],
    "query_json": ["NULL", '"{}"', '""', '"{"', '"[1]"', '"{\\"subject\\": [1, 2]}"',
                   '"{\\"subject\\": {\\"x\\": []}}"'],
    "record_id": ["g_record_id", "NULL", '""', '"00000000000000000000000000000000"', '"zz"',
                  "g_chunked_id"],
    "spec_json": ["g_spec", "NULL", '""', '"{}"', '"{\\"function\\": 1}"', '"[]"'],
    "language": ['"python"', "NULL", '""', '"cobol"', '"matlab"'],
    "function_name": ['"f"', "NULL", '""'],
    "source_hash": ["g_hex64", "NULL", '""', '"xyz"'],
    "version": ["NULL", '"1"', '""'],
    "name": ['"x"', "NULL", '""', '"\\xff"'],
    "content_hash": ["g_hex64", "NULL", '""', '"abc"'],
    "constants_json": ['"{\\"k\\": 1}"', "NULL", '""', '"["', '"{\\"k\\": {\\"a\\": [1]}}"'],
    "message": ['"boom"', "NULL", '""', '"\\xff"'],
    "key": ['"k"', "NULL", '""', '"\\xff"', '"a\\x01b"'],
    "lineage_path": ["NULL", '"lineage"', '""'],
    "data_path": ["NULL", '""', '"data"', '"/proc/no/such/place"'],
    "path": ["fresh_path()", "NULL", '""', '"/nonexistent/dir/x.duckdb"', "g_dir",
             "g_db_path", "g_text_path"],
    "source": ['"def f(): pass"', "NULL", '"\\xff\\xfe not utf8 at all"',
               '"function [a, b] = g(x, varargin)"'],
    "utf8": ['"hello, world!"', "NULL", '"\\xff\\xfe not utf8 at all"'],
    "status": ['"failed"', "NULL", '""', '"nope"', '"\\xff"'],
    "function_json": ["NULL", '"{\\"language\\": \\"python\\", \\"name\\": \\"f\\", \\"version\\": \\"1\\"}"',
                      '""', '"{"', '"[]"', '"{\\"language\\": \\"no such!\\", \\"name\\": \\"\\"}"'],
    "sql": ['"SELECT 1 AS one"', "NULL", '""', '"DELETE FROM _scidb_records"',
            '"SELECT 1; DROP TABLE _scidb_records"', '"\\xff"'],
    "kind": ['"dot"', "NULL", '""', '"svg"', '"html"', '"json"', '"png"'],
}

U32 = {
    "dtype": ["10", "0", "12", "13", "99", "UINT32_MAX"],
    "flags": ["0", "1", "2", "3", "4", "UINT32_MAX"],
    "format": ["0", "1", "2", "UINT32_MAX"],
    "order": ["0", "1", "2", "UINT32_MAX"],
    "workers": ["1", "0", "2", "257", "UINT32_MAX"],
    "n_outputs": ["1", "0", "2", "UINT32_MAX"],
    "output_index": ["0", "1", "UINT32_MAX"],
}
# Sizes that describe a caller's buffer take only values the buffer holds;
# the others (indexes, byte counts checked against a shape) take extremes.
SIZES = {
    "n_keys": ["1", "0", "2"],
    "ndim": ["1", "0", "2", "4"],
    "nbytes": ["16", "0", "8", "SIZE_MAX"],
    "count": ["1", "0", "4"],
    "n": ["1", "0"],
    "max": ["1", "0", "16"],
    "n_outputs": ["1", "0", "2"],
    "index": ["0", "1", "7", "SIZE_MAX"],
    "position": ["0", "1", "SIZE_MAX"],
    "column": ["0", "1", "SIZE_MAX"],
    "row": ["0", "1", "SIZE_MAX"],
    "nrows": ["1", "0", "SIZE_MAX"],
    "len": [str(LEN_TEXT), "0", "1"],
}


class Arg:
    """One alternative for a parameter: code before the call, the argument
    expression, code after it, and a label for the report."""

    def __init__(self, expr, before="", after="", label=None):
        self.expr, self.before, self.after = expr, before, after
        self.label = label or expr


def handle_name(ctype):
    m = re.match(r"(?:const )?(?:struct )?(scidb_\w+) \*$", ctype)
    return m.group(1) if m and m.group(1) in HANDLES else None


def value_baseline(func):
    for prefix, kind in [("scidb_value_string", "g_string"), ("scidb_value_array", "g_array"),
                         ("scidb_value_table", "g_table"), ("scidb_value_list", "g_list"),
                         ("scidb_value_map", "g_map"), ("scidb_metadata_json", "g_map"),
                         ("scidb_value_len", "g_list"), ("scidb_stream_write_value", "g_table"),
                         ("scidb_chunk_writer_add", "g_array")]:
        if func.startswith(prefix):
            return kind
    return "g_array"


def alternatives(func, ctype, name, n):
    """The alternatives of parameter `name` of type `ctype` in `func`
    (baseline first); `n` makes local names unique."""
    v = f"a{n}"
    h = handle_name(ctype)
    if h == "scidb_value":
        base = value_baseline(func)
        if func in ("scidb_value_table_add_numeric", "scidb_value_table_add_text",
                    "scidb_value_table_add_binary"):
            # Each call gets its own one-row table, so columns do not pile up.
            return [Arg(v, f"scidb_value *{v} = fresh_table();", f"scidb_value_free(&{v});",
                        "fresh table"), Arg("NULL")] + [Arg(k) for k in VALUE_KINDS]
        if ctype.startswith("const"):
            return [Arg(base), Arg("NULL")] + [Arg(k) for k in VALUE_KINDS if k != base]
        # A mutable value (a list or map being filled): its own per call.
        ctor = "fresh_list()" if "list" in func else "fresh_map()"
        return [Arg(v, f"scidb_value *{v} = {ctor};", f"scidb_value_free(&{v});", ctor),
                Arg("NULL")] + [Arg(k) for k in VALUE_KINDS]
    if h:
        ctor, free = HANDLES[h]
        fresh = Arg(v, f"{h} *{v} = {ctor};", f"{free}(&{v});", ctor)
        if h == "scidb_db":  # the database holding the records the other handles name
            return [Arg("g_db"), Arg("NULL"), fresh]
        return [fresh, Arg("NULL"), Arg(SHARED[h])]
    m = re.match(r"(?:struct )?(scidb_\w+) \*\*$", ctype)
    if m and m.group(1) in HANDLES:
        h = m.group(1)
        ctor, free = HANDLES[h]
        if func.endswith("_free"):
            return [Arg(f"&{v}", f"{h} *{v} = {ctor};", f"{free}(&{v});", "&fresh"),
                    Arg("NULL"), Arg(f"&{v}", f"{h} *{v} = NULL;", "", "&NULL")]
        if name == "outputs":  # an array whose items scidb takes
            return [Arg(v, f"scidb_value *{v}[2] = {{fresh_value(), fresh_value()}};",
                        f"scidb_value_free(&{v}[0]); scidb_value_free(&{v}[1]);", "outputs"),
                    Arg("NULL"),
                    Arg(v, f"scidb_value *{v}[2] = {{NULL, NULL}};", "", "{NULL, NULL}")]
        if name.startswith("out"):
            return [Arg(f"&{v}", f"{h} *{v} = NULL;", f"{free}(&{v});", "&out"), Arg("NULL")]
        # A value whose ownership moves in.
        return [Arg(f"&{v}", f"scidb_value *{v} = fresh_value();", f"scidb_value_free(&{v});",
                    "&fresh"), Arg("NULL"),
                Arg(f"&{v}", f"scidb_value *{v} = NULL;", "", "&NULL")]
    if ctype == "char **":
        if func == "scidb_string_free":
            return [Arg(f"&{v}", f"char *{v} = fresh_string();", f"scidb_string_free(&{v});",
                        "&fresh"), Arg("NULL"), Arg(f"&{v}", f"char *{v} = NULL;", "", "&NULL")]
        return [Arg(f"&{v}", f"char *{v} = NULL;", f"scidb_string_free(&{v});", "&out"),
                Arg("NULL")]
    if ctype in ("const char **",) or re.match(r"const (struct )?scidb_value \*\*$", ctype):
        base = "" if ctype == "const char **" else "const scidb_value *"
        decl = f"const char *{v}[8] = {{0}};" if not base else f"const scidb_value *{v}[8] = {{0}};"
        return [Arg(v, decl, "", "out buffer"), Arg("NULL")]
    if ctype == "char *":  # out buffers for record ids and hashes
        return [Arg(v, f"char {v}[512]; memset({v}, 'z', sizeof {v});", "", "buffer"),
                Arg("NULL")]
    if ctype == "const char *const *":
        text = {"schema_keys": '{"subject", "session"}', "variables": '{"W", "W2"}',
                "metadata_jsons": '{"{\\"subject\\": 1}", "{\\"subject\\": 2}"}',
                "cells": '{"abc", NULL}'}[name]
        alts = [Arg(v, f"const char *{v}[2] = {text};", "", text), Arg("NULL")]
        if name == "cells":
            alts.append(Arg(v, f"const char *{v}[2] = {{NULL, NULL}};", "", "{NULL}"))
        if name == "schema_keys":
            alts.append(Arg(v, f'const char *{v}[2] = {{"", "\\xff"}};', "", "bad keys"))
        return alts
    if re.match(r"const (struct )?scidb_value \*const \*$", ctype):
        return [Arg(v, f"const scidb_value *{v}[2] = {{g_array, g_array}};", "", "values"),
                Arg("NULL"), Arg(v, f"const scidb_value *{v}[2] = {{NULL, NULL}};", "", "{NULL}")]
    if ctype == "const char *":
        if name in TEXT:
            return [Arg(t) for t in TEXT[name]]
    if ctype == "ArrowSchema *" or ctype == "ArrowArray *":
        kind = "Schema" if "Schema" in ctype else "Array"
        if name.startswith("out"):
            return [Arg(f"&{v}", f"struct Arrow{kind} {v}; memset(&{v}, 0, sizeof {v});",
                        f"if ({v}.release) {v}.release(&{v});", "&out"), Arg("NULL")]
        # Moved in: a live struct (exported from a table), a released one, NULL.
        return [Arg(f"&{v}", f"struct Arrow{kind} {v}; export_{kind.lower()}(&{v});",
                    f"moved_in(&{v}.release, \"{func}\", \"{name}\"); "
                    f"if ({v}.release) {v}.release(&{v});", "exported"),
                Arg(f"&{v}", f"struct Arrow{kind} {v}; memset(&{v}, 0, sizeof {v});", "",
                    "released"),
                Arg("NULL")]
    if ctype == "ArrowArrayStream *":
        if name.startswith("out"):
            return [Arg(f"&{v}", f"struct ArrowArrayStream {v}; memset(&{v}, 0, sizeof {v});",
                        f"if ({v}.release) {v}.release(&{v});", "&out"), Arg("NULL")]
        # Moved in: a live stream (exported from a table), a released one, NULL.
        return [Arg(f"&{v}", f"struct ArrowArrayStream {v}; export_stream(&{v});",
                    f"moved_in(&{v}.release, \"{func}\", \"{name}\"); "
                    f"if ({v}.release) {v}.release(&{v});", "exported"),
                Arg(f"&{v}", f"struct ArrowArrayStream {v}; memset(&{v}, 0, sizeof {v});", "",
                    "released"),
                Arg("NULL")]
    if ctype == "ArrowArrayStream **":
        return [Arg(f"&{v}", f"ArrowArrayStream *{v} = scidb_arrow_stream_new();",
                    f"scidb_arrow_stream_free(&{v});", "&fresh"),
                Arg(f"&{v}", f"ArrowArrayStream *{v} = scidb_arrow_stream_new(); "
                    f"export_stream({v});", f"scidb_arrow_stream_free(&{v});", "&live"),
                Arg("NULL"), Arg(f"&{v}", f"ArrowArrayStream *{v} = NULL;", "", "&NULL")]
    if ctype == "uint32_t" and name in U32:
        return [Arg(x) for x in U32[name]]
    if ctype == "size_t" and name == "nbytes" and func == "scidb_value_table_add_numeric":
        return [Arg(x) for x in ["8", "0", "16", "SIZE_MAX"]]  # one row of float64
    if ctype == "size_t" and name in SIZES:
        return [Arg(x) for x in SIZES[name]]
    if ctype == "int32_t" and name.endswith("_fd"):
        fd = "g_in_fd" if name.startswith("in") else "g_out_fd"
        return [Arg(fd), Arg("-1"), Arg("9999")]
    if ctype == "int64_t" and name == "run_id":
        return [Arg(x) for x in ["1", "0", "-1", "INT64_MAX"]]
    if ctype == "scidb_status" and name == "status":
        return [Arg(x) for x in ["0", "11", "99", "-1", "INT32_MAX"]]
    if ctype == "void *" and name == "user_data":
        return [Arg("NULL")]
    callbacks = {"scidb_foreach_fn": "foreach_fn", "scidb_call_fn": "call_fn",
                 "scidb_stream_map_fn": "map_fn", "scidb_stream_finalize_fn": "finalize_fn"}
    if ctype in callbacks:
        good = callbacks[ctype]
        alts = [Arg(good), Arg("NULL"), Arg(f"bad_{good}")]
        return alts[1:2] + [alts[0], alts[2]] if name == "finalize_fn" else alts
    out_scalars = ["uint32_t *", "uint64_t *", "size_t *", "int32_t *", "int64_t *",
                   "struct scidb_array_view *", "struct scidb_column_view *",
                   "struct scidb_foreach_summary *"]
    if ctype in out_scalars and name.startswith("out"):
        base = ctype[:-2].replace("struct ", "")
        if name == "out_items":
            return [Arg(v, f"size_t {v}[16];", "", "buffer"), Arg("NULL")]
        return [Arg(f"&{v}", f"{base} {v}; memset(&{v}, 0, sizeof {v});", "", "&out"),
                Arg("NULL")]
    if ctype == "const uint64_t *" and name == "shape":
        return [Arg(v, f"uint64_t {v}[4] = {{2, 1, 1, 1}};", "", "{2,1,1,1}"), Arg("NULL"),
                Arg(v, f"uint64_t {v}[4] = {{UINT64_MAX, 2, 1, 1}};", "", "{MAX,2,1,1}"),
                Arg(v, f"uint64_t {v}[4] = {{0, 0, 0, 0}};", "", "{0,0,0,0}")]
    if ctype == "const void *" and name == "data":
        return [Arg("g_zeros"), Arg("NULL"), Arg("g_ones")]
    if ctype == "void *" and name == "dst":
        return [Arg(v, f"unsigned char {v}[64];", "", "buffer"), Arg("NULL")]
    if ctype == "uint16_t *" and name == "dst":
        return [Arg(v, f"uint16_t {v}[64];", "", "buffer"), Arg("NULL")]
    if ctype == "const uint16_t *" and name == "utf16":
        return [Arg("g_utf16"), Arg("NULL"), Arg("g_bad_utf16")]
    if ctype == "const uint8_t *" and name == "validity":
        return [Arg("NULL"), Arg("g_present"), Arg("g_twos")]
    if ctype == "const size_t *" and name == "lens":
        return [Arg("g_lens"), Arg("NULL"), Arg("g_huge_lens")]
    raise SystemExit(f"abi_sweep.py: {func}: no alternatives for parameter `{ctype} {name}`;"
                     " teach the sweep about it")


def parse(header):
    body = header.split('extern "C" {', 1)[1].split('}  // extern "C"', 1)[0]
    body = "\n".join(line for line in body.splitlines()
                     if not line.strip().startswith(("//", "#")))
    funcs = []
    for decl in body.split(";"):
        decl = " ".join(decl.split())
        if not decl:
            continue
        m = re.match(r"(.+?)\s*\b(scidb_\w+)\((.*)\)$", decl)
        if not m:
            raise SystemExit(f"abi_sweep.py: cannot parse `{decl}`")
        ret, name, params = m.groups()
        ps = []
        if params != "void":
            for p in params.split(","):
                p = p.strip()
                pm = re.match(r"(.*?)\s*(\w+)$", p)
                ctype = re.sub(r"\s*\*", " *", pm.group(1)).replace("* *", "**").strip()
                ctype = re.sub(r"\* const", "*const", ctype)
                ps.append((ctype, pm.group(2)))
        funcs.append((ret.strip(), name, ps))
    return funcs


def call_block(ret, func, params, choice):
    """One call of `func`: alternative choice[i] of each parameter i."""
    alts = [alternatives(func, t, n, i)[choice[i]] for i, (t, n) in enumerate(params)]
    changed = [f"{params[i][1]}={alts[i].label}" for i, c in enumerate(choice) if c]
    label = (", ".join(changed) or "baseline").replace("\\", "\\\\").replace('"', '\\"')
    lines = ["  {"]
    lines += [f"    {a.before}" for a in alts if a.before]
    args = ", ".join(a.expr for a in alts)
    lines.append(f'    g_where = "{func}({label})";')
    if ret == "scidb_status":
        lines.append(f"    check_status({func}({args}));")
    elif ret == "void":
        lines.append(f"    {func}({args});")
        lines.append("    g_calls++;")
    elif ret == "const char *":
        lines.append(f"    check_text({func}({args}));")
    elif ret == "ArrowArrayStream *":
        lines.append(f"    ArrowArrayStream *made = {func}({args});")
        lines.append("    must(made != NULL && made->release == NULL, \"an empty stream\");")
        lines.append("    scidb_arrow_stream_free(&made);")
        lines.append("    must(made == NULL, \"the freed stream pointer is NULL\");")
        lines.append("    g_calls++;")
    else:
        lines.append(f"    (void){func}({args});")
        lines.append("    g_calls++;")
    lines += [f"    {a.after}" for a in reversed(alts) if a.after]
    lines.append("  }")
    return "\n".join(lines)


def generate(header):
    funcs = parse(header)
    out = [PRELUDE]
    names = []
    for ret, func, params in funcs:
        counts = [len(alternatives(func, t, n, i)) for i, (t, n) in enumerate(params)]
        out.append(f"static void sweep_{func}(void) {{")
        out.append(call_block(ret, func, params, [0] * len(params)))
        for i, c in enumerate(counts):
            for j in range(1, c):
                choice = [0] * len(params)
                choice[i] = j
                out.append(call_block(ret, func, params, choice))
        out.append("}\n")
        names.append(func)
    out.append("int main(void) {\n  setup();")
    out += [f"  sweep_{n}();" for n in names]
    out.append(f"  teardown();\n  return report({len(names)});\n}}")
    return "\n".join(out) + "\n"


PRELUDE = r'''/* Generated by tests/c/abi_sweep.py from include/scidb.h; do not edit. */
#define _DEFAULT_SOURCE
#include "scidb.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *g_where = "";
static unsigned long g_calls, g_failures, g_by_status[12];
static char g_dir[256], g_db_path[300], g_text_path[300], g_record_id[SCIDB_RECORD_ID_SIZE],
    g_chunked_id[SCIDB_RECORD_ID_SIZE];
static const char *g_hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char *g_spec =
    "{\"function\": {\"language\": \"c\", \"name\": \"f\", \"version\": \"1\"}, \"iterate\": [[\"subject\", [1, 2]]],"
    " \"inputs\": [{\"name\": \"x\", \"variable\": \"V\"}], \"outputs\": [\"W\"]}";
static unsigned char g_zeros[64], g_ones[64];
static const uint16_t g_utf16[LEN_TEXT_UNITS] = {'h', 'e', 'l', 'l', 'o'};
static const uint16_t g_bad_utf16[LEN_TEXT_UNITS] = {0xD800, 'a', 'b'};
static const uint8_t g_present[4] = {1, 1, 1, 1}, g_twos[4] = {2, 2, 2, 2};
static const size_t g_lens[2] = {3, 0}, g_huge_lens[2] = {SIZE_MAX, SIZE_MAX};
static int g_in_fd = -1, g_out_fd = -1;
static unsigned g_paths;
static scidb_db *g_db;
static scidb_records *g_records;
static scidb_call *g_call;
static scidb_foreach *g_plan;
static scidb_chunk_writer *g_writer;
static scidb_chunk_reader *g_reader;
static scidb_stream *g_stream;
static scidb_value *g_null, *g_array, *g_string, *g_list, *g_map, *g_table;

static void fail(const char *what) {
  fprintf(stderr, "abi sweep: %s: %s\n", g_where, what);
  g_failures++;
}

static void must(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "abi sweep set-up failed: %s: %s\n", what, scidb_last_error());
    exit(2);
  }
}

static void check_status(scidb_status st) {
  g_calls++;
  if (st == SCIDB_PANIC) {
    fail("a panic reached the boundary");
  } else if (st < 0 || st > 11) {
    fail("a status outside the table");
  } else {
    g_by_status[st]++;
    const char *msg = scidb_last_error();
    if (st != SCIDB_OK && (msg == NULL || msg[0] == '\0')) fail("a failure without a message");
  }
}

static void check_text(const char *text) {
  g_calls++;
  if (text == NULL) fail("returned NULL text");
}

/* A struct moved into scidb must come back released. */
static void moved_in(void *release, const char *func, const char *param) {
  if (*(void **)release != NULL) {
    fprintf(stderr, "abi sweep: %s: %s was not released\n", func, param);
    g_failures++;
  }
}

static scidb_value *fresh_value(void) {
  double x[2] = {1.0, 2.0};
  uint64_t shape[1] = {2};
  scidb_value *v = NULL;
  must(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, shape, 1, x, sizeof x, 0, &v) == SCIDB_OK,
       "array");
  return v;
}

static scidb_value *fresh_list(void) {
  scidb_value *v = NULL;
  must(scidb_value_new_list(&v) == SCIDB_OK, "list");
  return v;
}

static scidb_value *fresh_map(void) {
  scidb_value *v = NULL;
  must(scidb_value_new_map(&v) == SCIDB_OK, "map");
  return v;
}

static scidb_value *fresh_table(void) {
  scidb_value *t = NULL;
  double x = 1.5;
  must(scidb_value_new_table(1, &t) == SCIDB_OK, "table");
  must(scidb_value_table_add_numeric(t, "c", SCIDB_DTYPE_FLOAT64, &x, sizeof x, NULL) ==
           SCIDB_OK,
       "table column");
  return t;
}

static void export_schema(struct ArrowSchema *schema) {
  struct ArrowArray array;
  must(scidb_value_table_to_arrow(g_table, schema, &array) == SCIDB_OK, "export");
  array.release(&array);
}

static void export_array(struct ArrowArray *array) {
  struct ArrowSchema schema;
  must(scidb_value_table_to_arrow(g_table, &schema, array) == SCIDB_OK, "export");
  schema.release(&schema);
}

static void export_stream(struct ArrowArrayStream *stream) {
  must(scidb_value_table_to_arrow_stream(g_table, stream) == SCIDB_OK, "export");
}

static const char *fresh_path(void) {
  static char path[320];
  snprintf(path, sizeof path, "%s/fresh%u.duckdb", g_dir, g_paths++);
  return path;
}

static scidb_db *fresh_db(void) {
  const char *keys[1] = {"subject"};
  scidb_db *db = NULL;
  must(scidb_open(fresh_path(), keys, 1, NULL, &db) == SCIDB_OK, "open");
  return db;
}

static scidb_records *fresh_records(void) {
  scidb_records *r = NULL;
  must(scidb_load_all(g_db, "V", NULL, &r) == SCIDB_OK, "load_all");
  return r;
}

static scidb_call *fresh_call(void) {
  scidb_call *c = NULL;
  must(scidb_call_new("python", "f", g_hex64, NULL, 1, &c) == SCIDB_OK, "call");
  return c;
}

static scidb_foreach *fresh_plan(void) {
  scidb_foreach *p = NULL;
  must(scidb_foreach_new(g_db, g_spec, &p) == SCIDB_OK, "plan");
  return p;
}

static scidb_chunk_writer *fresh_writer(void) {
  static unsigned n;
  char meta[64];
  snprintf(meta, sizeof meta, "{\"subject\": %u}", 100 + n++);
  scidb_chunk_writer *w = NULL;
  must(scidb_chunk_writer_open(g_db, "Chunked", meta, &w) == SCIDB_OK, "writer");
  return w;
}

static scidb_chunk_reader *fresh_reader(void) {
  scidb_chunk_reader *r = NULL;
  must(scidb_chunk_reader_open_record(g_db, "Chunked", g_chunked_id, &r) == SCIDB_OK, "reader");
  return r;
}

static scidb_stream *fresh_stream(void) {
  scidb_stream *s = NULL;
  must(scidb_stream_open(g_in_fd, g_out_fd, SCIDB_STREAM_ARROW, 0, &s) == SCIDB_OK, "stream");
  return s;
}

static char *fresh_string(void) {
  char *s = NULL;
  must(scidb_db_data_path(g_db, &s) == SCIDB_OK, "string");
  return s;
}

static scidb_status foreach_fn(void *user_data, const char *metadata_json,
                               const scidb_value *const *inputs, size_t n_inputs,
                               scidb_value **outputs, size_t n_outputs, char *error,
                               size_t error_size) {
  (void)user_data, (void)metadata_json, (void)inputs, (void)n_inputs, (void)error,
      (void)error_size;
  for (size_t i = 0; i < n_outputs; i++) outputs[i] = fresh_value();
  return SCIDB_OK;
}

static scidb_status bad_foreach_fn(void *user_data, const char *metadata_json,
                                   const scidb_value *const *inputs, size_t n_inputs,
                                   scidb_value **outputs, size_t n_outputs, char *error,
                                   size_t error_size) {
  (void)user_data, (void)metadata_json, (void)inputs, (void)n_inputs, (void)outputs,
      (void)n_outputs;
  snprintf(error, error_size, "refused");
  return 777;
}

static scidb_status call_fn(void *user_data, const scidb_value *const *inputs, size_t n_inputs,
                            scidb_value **outputs, size_t n_outputs) {
  (void)user_data, (void)inputs, (void)n_inputs;
  for (size_t i = 0; i < n_outputs; i++) outputs[i] = fresh_value();
  return SCIDB_OK;
}

static scidb_status bad_call_fn(void *user_data, const scidb_value *const *inputs,
                                size_t n_inputs, scidb_value **outputs, size_t n_outputs) {
  (void)user_data, (void)inputs, (void)n_inputs, (void)outputs, (void)n_outputs;
  return 777;
}

static scidb_status map_fn(void *user_data, ArrowSchema *chunk_schema, ArrowArray *chunk_array,
                           ArrowSchema *reply_schema, ArrowArray *reply_array) {
  (void)user_data, (void)reply_schema, (void)reply_array;
  chunk_schema->release(chunk_schema);
  chunk_array->release(chunk_array);
  return SCIDB_OK;
}

static scidb_status bad_map_fn(void *user_data, ArrowSchema *chunk_schema,
                               ArrowArray *chunk_array, ArrowSchema *reply_schema,
                               ArrowArray *reply_array) {
  (void)reply_schema, (void)reply_array;
  map_fn(user_data, chunk_schema, chunk_array, NULL, NULL);
  return 777;
}

static scidb_status finalize_fn(void *user_data, ArrowSchema *reply_schema,
                                ArrowArray *reply_array) {
  (void)user_data, (void)reply_schema, (void)reply_array;
  return SCIDB_OK;
}

static scidb_status bad_finalize_fn(void *user_data, ArrowSchema *reply_schema,
                                    ArrowArray *reply_array) {
  (void)user_data, (void)reply_schema, (void)reply_array;
  return 777;
}

static void setup(void) {
  memset(g_ones, 0xff, sizeof g_ones);
  snprintf(g_dir, sizeof g_dir, "/tmp/scidb-abi-sweep-XXXXXX");
  must(mkdtemp(g_dir) != NULL, "mkdtemp");
  snprintf(g_db_path, sizeof g_db_path, "%s/main.duckdb", g_dir);
  snprintf(g_text_path, sizeof g_text_path, "%s/notes.txt", g_dir);
  FILE *f = fopen(g_text_path, "w");
  must(f != NULL, "text file");
  fputs("not a database\n", f);
  fclose(f);
  const char *keys[1] = {"subject"};
  must(scidb_open(g_db_path, keys, 1, NULL, &g_db) == SCIDB_OK, "open");
  g_null = NULL;
  must(scidb_value_new_null(&g_null) == SCIDB_OK, "null");
  g_array = fresh_value();
  must(scidb_value_new_string("x", 1, &g_string) == SCIDB_OK, "string");
  g_list = fresh_list();
  scidb_value *item = fresh_value();
  must(scidb_value_list_push(g_list, &item) == SCIDB_OK, "push");
  g_map = fresh_map();
  double one = 1.0;
  item = NULL;
  must(scidb_value_new_array(SCIDB_DTYPE_FLOAT64, NULL, 0, &one, sizeof one, SCIDB_ARRAY_SCALAR,
                             &item) == SCIDB_OK,
       "scalar");
  must(scidb_value_map_insert(g_map, "a", &item) == SCIDB_OK, "insert");
  g_table = fresh_table();
  must(scidb_save(g_db, "V", "{\"subject\": 1}", g_array, g_record_id) == SCIDB_OK, "save");
  scidb_chunk_writer *w = NULL;
  must(scidb_chunk_writer_open(g_db, "Chunked", "{\"subject\": 1}", &w) == SCIDB_OK, "writer");
  must(scidb_chunk_writer_add(w, g_array) == SCIDB_OK, "add");
  must(scidb_chunk_writer_finish(w, g_chunked_id) == SCIDB_OK, "finish");
  scidb_chunk_writer_free(&w);
  int in[2];
  must(pipe(in) == 0, "pipe");
  close(in[1]); /* reads see the end of input at once */
  g_in_fd = in[0];
  g_out_fd = open("/dev/null", O_WRONLY);
  must(g_out_fd >= 0, "/dev/null");
  g_records = fresh_records();
  g_call = fresh_call();
  g_plan = fresh_plan();
  g_writer = fresh_writer();
  g_reader = fresh_reader();
  g_stream = fresh_stream();
}

static void teardown(void) {
  scidb_stream_free(&g_stream);
  scidb_chunk_reader_free(&g_reader);
  scidb_chunk_writer_free(&g_writer);
  scidb_foreach_free(&g_plan);
  scidb_call_free(&g_call);
  scidb_records_free(&g_records);
  scidb_value_free(&g_null);
  scidb_value_free(&g_array);
  scidb_value_free(&g_string);
  scidb_value_free(&g_list);
  scidb_value_free(&g_map);
  scidb_value_free(&g_table);
  scidb_db_free(&g_db);
  close(g_in_fd);
  close(g_out_fd);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "abi sweep: could not remove %s\n", g_dir);
}

static int report(int functions) {
  printf("abi sweep: %d functions, %lu calls, %lu failures; statuses:", functions, g_calls,
         g_failures);
  for (int i = 0; i < 12; i++)
    if (g_by_status[i]) printf(" %s=%lu", scidb_status_name(i), g_by_status[i]);
  printf("\n");
  return g_failures == 0 ? 0 : 1;
}
'''.replace("LEN_TEXT_UNITS", "16")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        sys.stdout.write(generate(f.read()))


if __name__ == "__main__":
    main()
