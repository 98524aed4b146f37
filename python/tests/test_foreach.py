"""for_each: the seed README's examples, caching, skips, failures, workers."""

import numpy as np
import pytest

import scidb
from scidb import BaseVariable, Fixed, ForEachError, for_each, thunk


class RawEMG(BaseVariable):
    pass


class FilteredEMG(BaseVariable):
    pass


class Delta(BaseVariable):
    pass


class RawForce(BaseVariable):
    pass


class FilteredForce(BaseVariable):
    pass


class Low(BaseVariable):
    pass


class High(BaseVariable):
    pass


class _Calls:
    """Counts calls; its repr (part of the functions' identity) is stable."""

    n = 0


CALLS = _Calls()


@thunk
def bandpass_filter(signal):
    CALLS.n += 1
    return np.asarray(signal) * 2.0


def compare_to_baseline(baseline, current):
    return float(np.mean(current) - np.mean(baseline))


@thunk
def filter_data(values, smoothing):
    CALLS.n += 1
    return np.asarray(values) * smoothing


def split(signal):
    s = np.asarray(signal)
    return s[: len(s) // 2], s[len(s) // 2 :]


def _seed_emg(subjects=(1, 2, 3, 4, 5), sessions=("baseline", "post")):
    for s in subjects:
        for i, sess in enumerate(sessions):
            RawEMG.save(np.arange(4.0) + 10 * s + i, subject=s, session=sess)


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.n = 0


def test_seed_for_each_runs_every_combination(db):
    _seed_emg()
    df = for_each(
        bandpass_filter,
        inputs={"signal": RawEMG},
        outputs=[FilteredEMG],
        subject=[1, 2, 3, 4, 5],
        session=["baseline", "post"],
    )
    assert list(df.columns) == ["subject", "session", "status", "message", "FilteredEMG_record_id"]
    assert len(df) == 10 and (df["status"] == "ran").all()
    assert CALLS.n == 10
    emg = FilteredEMG.load(subject=3, session="post")
    np.testing.assert_array_equal(emg.data, (np.arange(4.0) + 31) * 2)
    assert emg.record_id == df.loc[5, "FilteredEMG_record_id"]
    prov = db.get_provenance(FilteredEMG, subject=3, session="post")
    assert prov["function_name"] == "bandpass_filter"
    assert prov["inputs"][0]["variable"] == "RawEMG"
    assert prov["inputs"][0]["record_id"] == RawEMG.load(subject=3, session="post").record_id


def test_second_run_is_all_cached(db):
    _seed_emg()
    args = dict(inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[1, 2, 3, 4, 5], session=["baseline", "post"])
    first = for_each(bandpass_filter, **args)
    assert CALLS.n == 10
    second = for_each(bandpass_filter, **args)
    assert CALLS.n == 10, "the function ran again"
    assert (second["status"] == "cached").all()
    assert list(second["FilteredEMG_record_id"]) == list(first["FilteredEMG_record_id"])
    log = db.run_log()
    assert len(log) == 10 and (log["status"] == "cached").all()
    assert log.loc[0, "metadata"] == {"subject": 1, "session": "baseline"}
    assert (db.run_log(first.attrs["run_id"])["status"] == "ran").all()


def test_an_empty_list_means_every_value_in_the_database(db):
    _seed_emg(subjects=(2, 7))
    df = for_each(bandpass_filter, inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[], session=[])
    assert list(zip(df["subject"], df["session"])) == [(2, "baseline"), (2, "post"), (7, "baseline"), (7, "post")]
    assert (df["status"] == "ran").all()


def test_resaving_one_input_reruns_only_its_combinations(db):
    _seed_emg()
    args = dict(inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[1, 2, 3, 4, 5], session=["baseline", "post"])
    for_each(bandpass_filter, **args)
    RawEMG.save(np.ones(4), subject=2, session="post")
    CALLS.n = 0
    df = for_each(bandpass_filter, **args)
    assert CALLS.n == 1
    assert list(df.loc[df["status"] == "ran", ["subject", "session"]].itertuples(index=False, name=None)) == [
        (2, "post")
    ]
    np.testing.assert_array_equal(FilteredEMG.load(subject=2, session="post").data, np.full(4, 2.0))


def test_missing_inputs_are_skipped_with_the_reason(db):
    _seed_emg(subjects=(1, 2))
    df = for_each(bandpass_filter, inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[1, 2, 3], session=["baseline", "post"])
    skipped = df[df["status"] == "skipped"]
    assert list(skipped["subject"]) == [3, 3]
    assert "no RawEMG record at subject=3" in skipped.iloc[0]["message"]
    assert (db.run_log()["status"] == "skipped").sum() == 2


def test_fixed_input(db):
    for s in [1, 2, 3, 4, 5]:
        RawEMG.save(np.zeros(3) + s, subject=s, session="baseline")
        for k in (1, 2, 3):
            RawEMG.save(np.zeros(3) + s + k, subject=s, session=f"post_{k}")
    df = for_each(
        compare_to_baseline,
        inputs={
            "baseline": Fixed(RawEMG, session="baseline"),  # always load baseline
            "current": RawEMG,  # iterates normally
        },
        outputs=[Delta],
        subject=[1, 2, 3, 4, 5],
        session=["post_1", "post_2", "post_3"],
    )
    assert len(df) == 15 and (df["status"] == "ran").all()
    assert Delta.load(subject=4, session="post_2").data == 2.0


def test_smoothing_rerun_keeps_both_variants(tmp_path):
    db = scidb.configure_database(tmp_path / "gait.duckdb", ["subject", "session", "trial"])
    try:
        keys = dict(subject=[1, 2, 3], session=["pre", "post"], trial=[1, 2, 3, 4, 5])
        for s in keys["subject"]:
            for sess in keys["session"]:
                for t in keys["trial"]:
                    RawForce.save(np.full(3, float(s * 100 + t)), subject=s, session=sess, trial=t)
        for_each(filter_data, inputs={"values": RawForce, "smoothing": 0.2}, outputs=[FilteredForce], **keys)
        assert CALLS.n == 30
        df = for_each(
            filter_data,
            inputs={"values": RawForce, "smoothing": 0.3},  # Changed from smoothing=0.2
            outputs=[FilteredForce],
            **keys,
        )
        assert CALLS.n == 60, "a changed constant re-runs every combination"
        assert (df["status"] == "ran").all()
        filtered_force0_2 = FilteredForce.load(smoothing=0.2)
        filtered_force0_3 = FilteredForce.load(smoothing=0.3)
        assert len(filtered_force0_2) == 30 and len(filtered_force0_3) == 30
        one = FilteredForce.load(subject=2, session="post", trial=4, smoothing=0.3)
        np.testing.assert_allclose(one.data, np.full(3, 204 * 0.3))
        assert db.get_provenance(FilteredForce, subject=2, session="post", trial=4, smoothing=0.2)["constants"] == {
            "smoothing": 0.2
        }
    finally:
        db.close()


def test_a_failing_combination_leaves_the_others_saved(db):
    _seed_emg(subjects=(1, 2, 3))

    def fragile(signal):
        if signal[0] == 20.0:
            raise ValueError("bad trial for subject 2")
        return float(signal[0])

    df = for_each(fragile, inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[1, 2, 3], session=["baseline"])
    assert list(df["status"]) == ["ran", "failed", "ran"]
    assert "ValueError: bad trial for subject 2" in df.loc[1, "message"]
    assert "Traceback" in df.loc[1, "message"]
    assert FilteredEMG.load(subject=3, session="baseline").data == 30.0
    log = db.run_log()
    assert log.loc[1, "status"] == "failed" and "bad trial" in log.loc[1, "message"]


def test_raise_on_error_stops_at_the_first_failure(db):
    _seed_emg(subjects=(1, 2, 3))

    def fragile(signal):
        if signal[0] == 20.0:
            raise ValueError("stop here")
        return float(signal[0])

    with pytest.raises(ForEachError, match="stop here"):
        for_each(fragile, inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[1, 2, 3], session=["baseline"], raise_on_error=True)
    assert FilteredEMG.load(subject=1, session="baseline").data == 10.0
    assert list(db.run_log()["status"]) == ["ran", "failed", "failed"]


def test_several_outputs_are_saved_all_or_none(db):
    _seed_emg(subjects=(1, 2))
    df = for_each(split, inputs={"signal": RawEMG}, outputs=[Low, High], subject=[1, 2], session=["baseline"])
    assert (df["status"] == "ran").all()
    np.testing.assert_array_equal(High.load(subject=2, session="baseline").data, [22.0, 23.0])

    def half_bad(signal):
        # The second output cannot be saved: the first must not be either.
        return float(signal[0]), object()

    df = for_each(half_bad, inputs={"signal": RawEMG}, outputs=[Delta, FilteredEMG], subject=[1], session=["post"])
    assert df.loc[0, "status"] == "failed"
    with pytest.raises(scidb.NotFoundError):
        Delta.load(subject=1, session="post")


def test_dry_run_runs_nothing(db):
    _seed_emg(subjects=(1, 2))
    for_each(bandpass_filter, inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[1], session=["baseline"])
    CALLS.n = 0
    df = for_each(bandpass_filter, inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[1, 2, 3], session=["baseline"], dry_run=True)
    assert list(df["status"]) == ["cached", "to_run", "skipped"]
    assert CALLS.n == 0
    with pytest.raises(scidb.NotFoundError):
        FilteredEMG.load(subject=2, session="baseline")


def test_four_workers_save_the_same_records_as_one(tmp_path):
    ids = []
    for workers in (1, 4):
        db = scidb.configure_database(tmp_path / f"w{workers}.duckdb", ["subject", "session"])
        try:
            _seed_emg(subjects=range(40))
            df = for_each(bandpass_filter, inputs={"signal": RawEMG}, outputs=[FilteredEMG], subject=[], session=[], workers=workers)
            assert (df["status"] == "ran").all() and len(df) == 80
            ids.append(list(df["FilteredEMG_record_id"]))
            np.testing.assert_array_equal(FilteredEMG.load(subject=39, session="post").data, (np.arange(4.0) + 391) * 2)
        finally:
            db.close()
    assert ids[0] == ids[1]


def test_bad_arguments(db):
    with pytest.raises(TypeError, match="input 'signal'"):
        for_each(bandpass_filter, inputs={"signal": [1, 2]}, outputs=[FilteredEMG], subject=[1])
    with pytest.raises(TypeError, match="BaseVariable"):
        for_each(bandpass_filter, inputs={"signal": RawEMG}, outputs=["FilteredEMG"], subject=[1])
    with pytest.raises(TypeError):
        Fixed(RawEMG)
    with pytest.raises(scidb.InvalidArgumentError, match="no values"):
        for_each(bandpass_filter, inputs={"gain": 2}, outputs=[FilteredEMG], subject=[])


def test_the_full_pipeline_example_runs_and_is_cached_the_second_time(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "examples" / "pipeline.py"
    path = str(tmp_path / "gait.duckdb")
    first = subprocess.run([sys.executable, str(example), path], capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "30 with smoothing=0.2, 30 with smoothing=0.3" in first.stdout
    assert "extract_step_length: 30 combinations: 30 ran" in first.stderr
    again = subprocess.run([sys.executable, str(example), path, "--keep"], capture_output=True, text=True, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("0 ran, 30 cached") == 4, again.stderr
    assert "upstream: MeanStepLength (compute_mean) <- StepLength (extract_step_length)" in again.stdout
