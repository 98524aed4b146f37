"""Builds the Rust library with cargo and ships it inside the package, so
`pip install ./python` is the one command a Python user needs.

Set SCIDB_LIBRARY to an existing libscidb to package that one instead of
building; CARGO_TARGET_DIR is honoured.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def library_name():
    if sys.platform == "darwin":
        return "libscidb.dylib"
    if sys.platform == "win32":
        return "scidb.dll"
    return "libscidb.so"


def built_library():
    given = os.environ.get("SCIDB_LIBRARY")
    if given:
        return Path(given)
    if not (REPO / "Cargo.toml").is_file():
        raise SystemExit(f"cannot build scidb: no Cargo.toml at {REPO}")
    subprocess.run(["cargo", "build", "--release", "--lib"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    return target / "release" / library_name()


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        lib = built_library()
        if not lib.is_file():
            raise SystemExit(f"cargo did not produce {lib}")
        dest = Path(self.build_lib) / "scidb" / library_name()
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(lib, dest)


class BinaryDistribution(Distribution):
    """The wheel holds a native library, so it is platform-specific."""

    def has_ext_modules(self):
        return True


setup(cmdclass={"build_py": BuildWithLibrary}, distclass=BinaryDistribution)
