"""The jobs of the shared for_each runs on the catalog, by function and
status, and every failed one with its host, process and error; exits 1 when
a job failed or is not done. After fixing what failed:

    python status.py --retry-failed     # clear_jobs("failed"), then resubmit

    SCIDB_CATALOG=postgresql://... SCIDB_DATA=/shared/lab/scidb python status.py
"""

import os
import sys

from scidb import configure_database

from gait import SCHEMA_KEYS, FilteredForce, MeanStepLength, StepLength

db = configure_database(os.environ["SCIDB_CATALOG"], SCHEMA_KEYS, data_path=os.environ["SCIDB_DATA"])
jobs = db.jobs()
if jobs.empty:
    print("no jobs")
    sys.exit(0)
table = jobs.groupby(["function", "status"]).size().unstack(fill_value=0)
table["max attempts"] = jobs.groupby("function")["attempts"].max()
print(table.to_string())
counts = {t.__name__: sum(1 for _ in t.load_all()) for t in (StepLength, MeanStepLength, FilteredForce)}
print("records: " + ", ".join(f"{n} {name}" for name, n in counts.items()))
if counts["MeanStepLength"]:
    df = MeanStepLength.load_all(as_df=True)
    means = df.groupby("session")["data"].mean()
    print("mean step length by session (m): " + ", ".join(f"{k} {v:.3f}" for k, v in means.items()))
failed = jobs[jobs["status"] == "failed"]
for _, j in failed.iterrows():
    last = (j["message"] or "").strip().splitlines()[-1:] or [""]
    print(f"failed: {j['function']} {j['metadata']} in pid {j['pid']} on {j['host']}: {last[0]}")
if "--retry-failed" in sys.argv[1:]:
    print(f"cleared {db.clear_jobs('failed')} failed jobs: submit the array again to rerun them")
    sys.exit(0)
sys.exit(0 if (jobs["status"] == "done").all() else 1)
