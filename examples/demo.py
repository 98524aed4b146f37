"""The main job: configure a database, define variable types, save and load
by metadata, show versions and variants, and read the SQL view with plain
duckdb as any SQL tool would.

Run with `make demo` (writes demo_study.duckdb in the current directory).
"""

import os
import sys

import numpy as np

from scidb import AmbiguousVersionError, BaseVariable, configure_database

PATH = sys.argv[1] if len(sys.argv) > 1 else "demo_study.duckdb"
if os.path.exists(PATH):
    os.remove(PATH)

db = configure_database(PATH, dataset_schema_keys=["subject", "session"])


class RawEMG(BaseVariable):
    pass


class MaxActivation(BaseVariable):
    pass


class FilteredEMG(BaseVariable):
    pass


rng = np.random.default_rng(0)
for subject in (1, 2, 3):
    for session in ("baseline", "post"):
        signal = rng.standard_normal(1000) * (1.5 if session == "post" else 1.0)
        RawEMG.save(signal, subject=subject, session=session)
        MaxActivation.save(float(np.max(np.abs(signal))), subject=subject, session=session)

raw = RawEMG.load(subject=1, session="baseline")
print(f"loaded {raw!r}: {raw.data.dtype} {raw.data.shape}, first samples {raw.data[:3]}")

all_sessions = RawEMG.load(subject=3)
print("subject 3 sessions:", [v.metadata["session"] for v in all_sessions])

# Two variants of the same result, told apart by a setting.
for smoothing in (0.2, 0.3):
    FilteredEMG.save(raw.data * smoothing, subject=1, session="baseline", smoothing=smoothing)
try:
    FilteredEMG.load(subject=1, session="baseline")
except AmbiguousVersionError as e:
    print("ambiguous, as expected:", e)
print("smoothing=0.3 ->", FilteredEMG.load(smoothing=0.3).record_id)

df = MaxActivation.load_all(as_df=True)
print("\nMaxActivation.load_all(as_df=True):")
print(df.to_string(index=False))
print("\nmean by session:")
print(df.groupby("session")["data"].mean().to_string())
db.close()

# The same data, through SQL alone: no scidb involved.
import duckdb  # noqa: E402

con = duckdb.connect(PATH, read_only=True)
print("\nSELECT subject, session, value FROM MaxActivation;")
print(con.sql("SELECT subject, session, value FROM MaxActivation").df().to_string(index=False))
con.close()
