"""The seed README's "What a Full Pipeline Looks Like", end to end on an
embedded DuckDB file: configure, variable types, thunks, three for_each
steps, a changed setting (smoothing 0.2 -> 0.3), load_all(as_df=True)
with a groupby, and provenance. Run twice: the second run computes
nothing (every step is cached).

Run with `make demo` or `python examples/pipeline.py [gait_study.duckdb]`.
"""

import os
import sys

import numpy as np

from scidb import BaseVariable, configure_database, for_each, thunk

PATH = sys.argv[1] if len(sys.argv) > 1 else "gait_study.duckdb"
FRESH = "--keep" not in sys.argv
if FRESH and os.path.exists(PATH):
    os.remove(PATH)

# --- Setup (once per project) ---
db = configure_database(
    PATH,  # Where your data is stored
    ["subject", "session", "trial"],  # How your dataset is organized
    "pipeline.db",  # Where lineage is tracked (kept in the same file)
)


# --- Define variable types ---
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


# --- Define processing functions ---
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


KEYS = dict(subject=[1, 2, 3], session=["pre", "post"], trial=[1, 2, 3, 4, 5])

# --- Raw data (what an acquisition script would save) ---
rng = np.random.default_rng(7)
for s in KEYS["subject"]:
    for sess in KEYS["session"]:
        for t in KEYS["trial"]:
            step = 0.62 + 0.03 * s + (0.05 if sess == "post" else 0.0)
            heel = np.cumsum(step + 0.01 * rng.standard_normal(12))
            RawKinematicData.save(heel, subject=s, session=sess, trial=t)
            RawForce.save(700 + 50 * rng.standard_normal(200), subject=s, session=sess, trial=t)

# --- Run the pipeline ---
for_each(
    extract_step_length,
    inputs={"kinematic_data": RawKinematicData},
    outputs=[StepLength],
    **KEYS,
)
for_each(
    compute_mean,
    inputs={"values": StepLength},
    outputs=[MeanStepLength],
    **KEYS,
)
for_each(
    filter_data,
    inputs={"values": RawForce, "smoothing": 0.2},
    outputs=[FilteredForce],
    **KEYS,
)

# --- Analyze results ---
df = MeanStepLength.load_all(as_df=True)
print("\nMean step length by session (m):")
print(df.groupby("session")["data"].mean().to_string())

# --- Change a setting: only that step re-runs, the 0.2 results stay ---
for_each(
    filter_data,
    inputs={"values": RawForce, "smoothing": 0.3},  # Changed from smoothing=0.2
    outputs=[FilteredForce],
    **KEYS,
)
filtered_force0_2 = FilteredForce.load(smoothing=0.2)  # all subjects, sessions, trials
filtered_force0_3 = FilteredForce.load(smoothing=0.3)
print(f"\nFilteredForce records: {len(filtered_force0_2)} with smoothing=0.2, "
      f"{len(filtered_force0_3)} with smoothing=0.3")

prov = db.get_provenance(MeanStepLength, subject=2, session="post", trial=3)
print(f"\nMeanStepLength(subject=2, post, trial 3) = "
      f"{MeanStepLength.load(subject=2, session='post', trial=3).data:.3f} m, computed by "
      f"{prov['function_name']} ({prov['language']}) from "
      f"{prov['inputs'][0]['variable']} {prov['inputs'][0]['record_id']}")
upstream = db.get_upstream_provenance(MeanStepLength, subject=2, session="post", trial=3)
print("upstream: " + " <- ".join(f"{p['variable']} ({p['function_name']})" for p in upstream)
      + f" <- {upstream[-1]['inputs'][0]['variable']} (raw)")

log = db.run_log()
print(f"\nlast run: {log['status'].value_counts().to_dict()}")
print(f"SQL: SELECT * FROM _scidb_run_log WHERE run_id = {int(log['run_id'][0])}")
