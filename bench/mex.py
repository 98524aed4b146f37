"""Run by `make bench`: the MATLAB gateway's per-call overhead, measured side by
side in one run: scalar save and load from Octave (through the MEX and the
+scidb package) against the same calls from C, and save+load of a 100 MB
double matrix from Octave against Octave's own `save -binary`/`load`.

Needs the release library, the built MEX (`make mex`) and octave-cli.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CALLS = int(os.environ.get("SCIDB_BENCH_CALLS", "2000"))
BIG_MB = float(os.environ.get("SCIDB_BENCH_BIG_MB", "100"))


def parse(line):
    words = line.split()
    return {words[i]: float(words[i + 1]) for i in range(0, len(words), 2)}


def main():
    lib_dir = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")) / "release"
    work = Path(tempfile.mkdtemp(prefix="scidb-bench-mex-"))
    exe = work / "scalar_calls"
    subprocess.run(
        ["gcc", "-O2", "-std=c11", f"-I{REPO / 'include'}", str(HERE / "c" / "scalar_calls.c"),
         "-o", str(exe), f"-L{lib_dir}", "-lscidb", f"-Wl,-rpath,{lib_dir}"],
        check=True,
    )
    c = parse(subprocess.run([str(exe), str(work / "c.duckdb"), str(CALLS)], check=True,
                             capture_output=True, text=True).stdout)
    octave_cmd = f"octave_calls('{work / 'octave.duckdb'}', {CALLS}, {BIG_MB})"
    out = subprocess.run(["octave-cli", "--no-gui", "--norc", "--quiet", "--eval", octave_cmd],
                         cwd=HERE, check=True, capture_output=True, text=True).stdout
    m = parse(out.strip().splitlines()[-1])
    native_cmd = (
        f"rows = round(sqrt({BIG_MB} * 1e6 / 8)); x = reshape(1:(rows*rows), rows, rows) * 0.5; "
        f"t = tic(); save('-binary', '{work / 'native.bin'}', 'x'); s = toc(t); "
        f"t = tic(); y = load('{work / 'native.bin'}'); l = toc(t); "
        "printf('save_ms %.1f load_ms %.1f\\n', s * 1e3, l * 1e3);"
    )
    native = parse(subprocess.run(["octave-cli", "--no-gui", "--norc", "--quiet", "--eval", native_cmd],
                                  check=True, capture_output=True, text=True).stdout.strip())
    print(f"MATLAB gateway benchmark ({CALLS} calls each, medians; one run, side by side)")
    print(f"{'':34}{'Octave (MEX)':>14}{'C':>10}{'overhead':>10}")
    for what, key in (("scalar save, ms/call", "save_ms"), ("scalar load, ms/call", "load_ms")):
        print(f"{what:34}{m[key]:>14.3f}{c[key]:>10.3f}{m[key] - c[key]:>10.3f}")
    total = m["big_save_ms"] + m["big_load_ms"]
    native_total = native["save_ms"] + native["load_ms"]
    print(f"\n{m['big_mb']:.0f} MB double matrix from Octave: save {m['big_save_ms']:.0f} ms, "
          f"load {m['big_load_ms']:.0f} ms (total {total:.0f} ms)")
    print(f"Octave's own save -binary/load of the same matrix: save {native['save_ms']:.0f} ms, "
          f"load {native['load_ms']:.0f} ms (total {native_total:.0f} ms); "
          f"scidb is {total / native_total:.2f}x that")
    subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    sys.exit(main())
