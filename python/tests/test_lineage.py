"""Lineage and caching: @thunk, Thunk, results, provenance, cache misses."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import scidb
from scidb import BaseVariable, Thunk, thunk
from scidb.exceptions import (
    DatabaseNotConfiguredError,
    InvalidArgumentError,
    NotFoundError,
    ReservedMetadataKeyError,
    TypeMismatchError,
)


class RawEMG(BaseVariable):
    pass


class FilteredEMG(BaseVariable):
    pass


class MaxActivation(BaseVariable):
    pass


class Low(BaseVariable):
    pass


class High(BaseVariable):
    pass


class Runs:
    """Counts function runs. Its repr is the default one, so functions that
    use it keep one identity however often they run."""

    def __init__(self):
        self.n = {}

    def add(self, name):
        self.n[name] = self.n.get(name, 0) + 1

    def __getitem__(self, name):
        return self.n.get(name, 0)


RUNS = Runs()
BASE = dict(subject=1, session="baseline")


@pytest.fixture(autouse=True)
def fresh_runs():
    RUNS.n.clear()


@pytest.fixture
def raw(db):
    RawEMG.save(np.arange(8.0), **BASE)
    return RawEMG.load(**BASE)


@thunk
def bandpass_filter(signal, low_hz, high_hz):
    RUNS.add("bandpass_filter")
    return signal * (high_hz - low_hz)


@thunk
def compute_max(signal):
    RUNS.add("compute_max")
    return float(np.max(np.abs(signal)))


def pipeline():
    raw = RawEMG.load(**BASE)
    filtered = bandpass_filter(raw, low_hz=20, high_hz=450)
    max_val = compute_max(filtered)
    FilteredEMG.save(filtered, **BASE)
    MaxActivation.save(max_val, **BASE)
    return filtered, max_val


def test_seed_example_runs_verbatim(tmp_path, monkeypatch, capsys):
    example = Path(__file__).resolve().parents[2] / "examples" / "lineage.py"
    monkeypatch.setattr(sys, "argv", [str(example), str(tmp_path / "seed.duckdb")])
    runpy.run_path(str(example), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "bandpass_filter"
    assert out[1] == "{'low_hz': 20, 'high_hz': 450}"
    assert out[2] == "second run cached: True True"
    assert "MaxActivation <- compute_max(signal=FilteredEMG:" in out[3]
    assert "FilteredEMG <- bandpass_filter(signal=RawEMG:" in out[4]
    scidb.get_database().close()


def test_provenance_fields(raw):
    filtered, max_val = pipeline()
    p = scidb.get_database().get_provenance(FilteredEMG, **BASE)
    assert p["function_name"] == "bandpass_filter"
    assert p["language"] == "python"
    assert p["constants"] == {"low_hz": 20, "high_hz": 450}
    assert list(p["constants"]) == ["low_hz", "high_hz"]
    assert len(p["function_hash"]) == 64
    assert p["inputs"] == [
        {"name": "signal", "variable": "RawEMG", "record_id": raw.record_id, "content_hash": raw.content_hash}
    ]
    assert p["record_id"] == filtered.record_id
    assert p["metadata"] == {**BASE, "low_hz": 20, "high_hz": 450}
    # Computed before FilteredEMG was saved, max_val still names its record.
    steps = scidb.get_database().get_upstream_provenance(MaxActivation, **BASE)
    assert [s["function_name"] for s in steps] == ["compute_max", "bandpass_filter"]
    assert steps[0]["inputs"][0]["record_id"] == filtered.record_id
    assert steps[1]["inputs"][0]["record_id"] == raw.record_id
    assert scidb.get_database().get_provenance(RawEMG, **BASE) is None
    assert scidb.get_database().get_provenance(max_val)["function_name"] == "compute_max"


def test_pipeline_twice_runs_each_function_once(raw):
    first = pipeline()
    versions = FilteredEMG.list_versions() + MaxActivation.list_versions()
    second = pipeline()
    assert RUNS["bandpass_filter"] == 1 and RUNS["compute_max"] == 1
    assert [r.cached for r in first] == [False, False]
    assert [r.cached for r in second] == [True, True]
    assert second[0].record_id == first[0].record_id
    np.testing.assert_array_equal(second[0].data, first[0].data)
    assert second[1].data == first[1].data
    # A hit saved again writes no new version.
    assert FilteredEMG.list_versions() + MaxActivation.list_versions() == versions


def test_thunk_wrapper_and_decorator_share_the_cache(raw):
    def scale(signal):
        RUNS.add("scale")
        return signal * 2

    FilteredEMG.save(Thunk(scale)(raw), **BASE)
    again = thunk(scale)(raw)
    assert again.cached and RUNS["scale"] == 1
    assert Thunk(Thunk(scale))(raw).cached


def test_edited_body_misses_and_comment_edit_does_not(raw):
    def step(signal):
        RUNS.add("step")
        return signal + 1

    FilteredEMG.save(thunk(step)(raw), **BASE)

    def step(signal):  # noqa: F811 - a comment-only edit
        """A docstring now, and comments."""
        RUNS.add("step")  # count
        return signal + 1  # same result

    assert thunk(step)(raw).cached

    def step(signal):  # noqa: F811 - the body changed
        RUNS.add("step")
        return signal + 2

    result = thunk(step)(raw)
    assert not result.cached and RUNS["step"] == 2
    np.testing.assert_array_equal(result.data, np.arange(8.0) + 2)


def test_sin_and_cos_never_collide(raw):
    def wave(signal):
        return np.sin(signal)

    FilteredEMG.save(thunk(wave)(raw), **BASE)

    def wave(signal):  # noqa: F811
        return np.cos(signal)

    result = thunk(wave)(raw)
    assert not result.cached
    np.testing.assert_array_equal(result.data, np.cos(np.arange(8.0)))


def test_redefined_helper_misses(raw):
    namespace = {"np": np}
    exec_helper = "def helper(x):\n    return x * {}\n"
    module = type(sys)("helpers_mod")
    module.__dict__.update(namespace)
    exec(exec_helper.format(3), module.__dict__)
    exec("def uses(signal):\n    return helper(signal)\n", module.__dict__)
    first = thunk(module.uses)(raw)
    FilteredEMG.save(first, **BASE)
    assert thunk(module.uses)(raw).cached
    exec(exec_helper.format(4), module.__dict__)  # the helper is redefined
    second = thunk(module.uses)(raw)
    assert not second.cached
    np.testing.assert_array_equal(second.data, np.arange(8.0) * 4)


CONFIG = {"gain": 2}


def test_closures_and_mutable_globals_are_part_of_the_identity(raw):
    def make(k):
        def scale(signal):
            return signal * k

        return scale

    FilteredEMG.save(thunk(make(2))(raw), **BASE)
    assert thunk(make(2))(raw).cached
    assert not thunk(make(3))(raw).cached

    @thunk
    def configured(signal):
        return signal * CONFIG["gain"]

    FilteredEMG.save(configured(raw), **BASE)
    assert configured(raw).cached
    CONFIG["gain"] = 5  # mutated in place
    try:
        result = configured(raw)
        assert not result.cached
        np.testing.assert_array_equal(result.data, np.arange(8.0) * 5)
    finally:
        CONFIG["gain"] = 2


def test_explicit_version(raw):
    def v(signal):
        RUNS.add("v")
        return signal

    FilteredEMG.save(Thunk(v, version="1")(raw), **BASE)
    assert Thunk(v, version="1")(raw).cached
    assert not Thunk(v, version="2")(raw).cached

    def v(signal):  # noqa: F811 - edited, but the version says it is the same
        return signal * 0

    assert Thunk(v, version="1")(raw).cached


def test_resaved_input_misses(raw):
    first, _ = pipeline()
    RawEMG.save(np.arange(8.0) * 10, **BASE)
    second, _ = pipeline()
    assert not second.cached and RUNS["bandpass_filter"] == 2
    # The earlier result is still loadable by its id.
    old = FilteredEMG.load(version=first.record_id)
    np.testing.assert_array_equal(old.data, np.arange(8.0) * 430)


def test_changed_constant_misses_and_variants_stay_loadable(raw):
    FilteredEMG.save(bandpass_filter(raw, 20, 450), **BASE)
    again = bandpass_filter(raw, low_hz=20, high_hz=450.0)  # positional or keyword, 450 or 450.0
    assert again.cached
    FilteredEMG.save(bandpass_filter(raw, low_hz=30, high_hz=450), **BASE)
    assert RUNS["bandpass_filter"] == 2
    np.testing.assert_array_equal(FilteredEMG.load(low_hz=20).data, np.arange(8.0) * 430)
    np.testing.assert_array_equal(FilteredEMG.load(low_hz=30).data, np.arange(8.0) * 420)
    with pytest.raises(scidb.AmbiguousVersionError, match="low_hz"):
        FilteredEMG.load(**BASE)


def test_value_inputs_and_unpack_output(raw):
    @thunk(unpack_output=True)
    def split(signal, window):
        RUNS.add("split")
        return signal[: len(window)], signal[len(window):]

    for _ in range(2):
        lo, hi = split(raw, np.ones(3))
        Low.save(lo, **BASE)
        High.save(hi, **BASE)
    assert RUNS["split"] == 1 and lo.cached and hi.cached
    assert lo.count == 2 and hi.index == 1
    p = scidb.get_database().get_provenance(High, **BASE)
    assert (p["output_index"], p["n_outputs"]) == (1, 2)
    window = p["inputs"][1]
    assert window["variable"] is None and window["record_id"] is None
    assert window["content_hash"] == scidb.content_hash(np.ones(3))
    assert not split(raw, np.ones(4))[0].cached


def test_unsaved_results_chain_by_content(raw):
    filtered = bandpass_filter(raw, 1, 2)
    total = compute_max(filtered)
    MaxActivation.save(total, **BASE)
    assert compute_max(bandpass_filter(raw, 1, 2)).cached
    p = scidb.get_database().get_provenance(MaxActivation, **BASE)
    assert p["inputs"][0]["record_id"] is None
    assert p["inputs"][0]["content_hash"] == scidb.content_hash(np.arange(8.0))


def test_bad_input_gives_clear_errors(raw, tmp_path):
    with pytest.raises(TypeError, match="function"):
        Thunk(42)
    with pytest.raises(TypeError, match="bandpass_filter"):
        bandpass_filter(raw)
    with pytest.raises(TypeMismatchError, match="'signal'"):
        compute_max(object())
    with pytest.raises(TypeMismatchError, match="RawEMG.load"):
        compute_max(RawEMG)
    with pytest.raises(ReservedMetadataKeyError, match="version"):
        thunk(lambda signal, version: signal)(raw, version=2)
    with pytest.raises(InvalidArgumentError, match="contradicts"):
        FilteredEMG.save(bandpass_filter(raw, 20, 450), subject=1, session="baseline", low_hz=5)
    with pytest.raises(TypeError, match="unpack_output"):
        thunk(unpack_output=True)(lambda signal: 1)(raw)
    db = scidb.get_database()
    with pytest.raises(NotFoundError, match="Unknown"):
        db.get_provenance("Unknown", subject=1)
    with pytest.raises(InvalidArgumentError, match="not a valid name"):
        db.get_provenance("not a name")
    with pytest.raises(TypeError, match="variable type"):
        db.get_provenance(42)
    with pytest.raises(InvalidArgumentError, match="not been saved"):
        db.get_provenance(compute_max(raw))
    RawEMG.save(np.zeros(2), subject=2, session="baseline")
    with pytest.raises(InvalidArgumentError, match="2 RawEMG records"):
        db.get_provenance(RawEMG, session="baseline")
    db.close()
    with pytest.raises(DatabaseNotConfiguredError):
        compute_max(raw)
    # A record of another database is not an input here.
    scidb.configure_database(tmp_path / "other.duckdb", ["subject", "session"])
    with pytest.raises(NotFoundError, match="input 'signal'"):
        compute_max(raw)
    scidb.get_database().close()
