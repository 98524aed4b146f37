"""db.status() / db.status(fn) and db.graph() on the seed's full pipeline
(examples/pipeline.py), and the graph's HTML page rendered by headless
Chromium (a screenshot, the node labels, no script error)."""

import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import scidb
from scidb import thunk

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEYS = ["subject", "session", "trial"]


@pytest.fixture
def seed(tmp_path):
    """The seed pipeline's database, open as the configured database."""
    path = tmp_path / "gait_study.duckdb"
    subprocess.run([sys.executable, str(ROOT / "examples" / "pipeline.py"), str(path)], check=True,
                   capture_output=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    db = scidb.configure_database(path, KEYS)
    yield db
    db.close()


def counts(steps):
    return [(s["function"], s["output"], s["outputs"], s["current"], s["stale"]) for s in steps]


HEALTHY = [
    ("compute_mean", "MeanStepLength", 30, 30, 0),
    ("extract_step_length", "StepLength", 30, 30, 0),
    ("filter_data", "FilteredForce", 60, 60, 0),
]


# The seed's compute_mean, as examples/pipeline.py defines it.
@thunk
def compute_mean(values):
    return float(np.mean(values))


def test_status_counts_and_a_new_input_version(seed):
    assert counts(seed.status()) == HEALTHY

    class RawForce(scidb.BaseVariable):
        pass

    RawForce.save(np.array([1.0, 2.0]), subject=1, session="post", trial=2)
    steps = seed.status()
    assert counts(steps) == HEALTHY[:2] + [("filter_data", "FilteredForce", 60, 58, 2)]
    stale = steps[2]["stale_outputs"]
    assert [s["metadata"] for s in stale] == [
        {"subject": 1, "session": "post", "trial": 2, "smoothing": 0.2},
        {"subject": 1, "session": "post", "trial": 2, "smoothing": 0.3},
    ]
    assert {s["reason"] for s in stale} == {"newer_input"}


def test_status_of_an_edited_function_marks_its_step(seed):
    # The same source as the seed's: nothing changed.
    assert counts(seed.status(compute_mean)) == HEALTHY

    @thunk
    def edited(values):
        return float(np.median(values))

    edited.name = "compute_mean"  # the same function, edited
    steps = seed.status(edited)
    assert counts(steps) == [("compute_mean", "MeanStepLength", 30, 0, 30)] + HEALTHY[1:]
    assert {s["reason"] for s in steps[0]["stale_outputs"]} == {"function_changed"}
    # A plain function works too; another function's steps are untouched.
    def filter_data(values, smoothing):
        return values

    assert counts(seed.status(filter_data))[2] == ("filter_data", "FilteredForce", 60, 0, 60)


def test_graph_displays_inline_and_saves(seed, tmp_path):
    g = seed.graph()
    assert "PipelineGraph: 5 variable types, 3 functions" in repr(g)
    svg = g._repr_svg_()
    assert svg.lstrip().startswith("<svg") or "<svg" in svg[:200]
    for label in ["RawForce", "FilteredForce", "filter_data (python)", "smoothing=0.2, 0.3"]:
        assert label in svg
    assert "<svg" in g._repr_html_()
    names = {f["name"]: f for f in g.data["functions"]}
    assert names["filter_data"]["constants"] == {"smoothing": ["0.2", "0.3"]}
    for ext in ["svg", "html", "dot"]:
        path = g.save(tmp_path / f"p.{ext}")
        assert "FilteredForce" in path.read_text()
    assert (tmp_path / "p.dot").read_text().startswith("digraph pipeline {")
    with pytest.raises(ValueError):
        g.save(tmp_path / "p.png")


def chromium():
    for name in ["chromium", "chromium-browser", "google-chrome"]:
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed (make browser-deps installs it)")
    pytest.skip("chromium is not installed here (make browser-deps installs it)")


def test_graph_html_renders_in_headless_chromium(seed, tmp_path):
    browser = chromium()
    page = seed.graph().save(tmp_path / "pipeline.html")
    shot = tmp_path / "pipeline.png"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--enable-logging=stderr", "--v=0", f"--user-data-dir={tmp_path / 'profile'}"]
    run = subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=900,760",
                          page.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 5000, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120)
    for label in ["RawKinematicData", "StepLength", "MeanStepLength", "RawForce", "FilteredForce",
                  "filter_data (python)", "compute_mean (python)", "extract_step_length (python)"]:
        assert label in dom.stdout, label
    for log in (run.stderr, dom.stderr):
        assert "Uncaught" not in log and "CONSOLE" not in log, log[-2000:]
    out = os.environ.get("SCIDB_SCREENSHOT_TO")
    if out:
        shutil.copy(shot, out)
