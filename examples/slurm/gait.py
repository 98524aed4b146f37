"""The seed pipeline's variable types and functions (as in
examples/pipeline.py), shared by seed.py and pipeline_task.py: every array
task imports the same definitions, so they describe the same for_each runs
and share their jobs."""

import numpy as np

from scidb import BaseVariable, thunk


class RawKinematicData(BaseVariable):
    pass


class StepLength(BaseVariable):
    pass


class MeanStepLength(BaseVariable):
    pass


class RawForce(BaseVariable):
    pass


class FilteredForce(BaseVariable):
    pass


@thunk
def extract_step_length(kinematic_data):
    # heel-strike positions (m) along the walkway -> step lengths
    return np.diff(np.asarray(kinematic_data))


@thunk
def compute_mean(values):
    return float(np.mean(values))


@thunk
def filter_data(values, smoothing):
    # exponential smoothing of the force trace
    out = np.empty_like(values)
    acc = values[0]
    for i, v in enumerate(values):
        acc = smoothing * v + (1 - smoothing) * acc
        out[i] = acc
    return out


SCHEMA_KEYS = ["subject", "session", "trial"]
KEYS = dict(subject=[1, 2, 3], session=["pre", "post"], trial=[1, 2, 3, 4, 5])
