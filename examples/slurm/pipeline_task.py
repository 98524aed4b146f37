"""One task of a job array: the seed pipeline's for_each steps with
reserve_jobs=True on the shared catalog. Every task of the array runs this
same script; the combinations of each step are shared out among the tasks
running it (each runs once, whoever runs it), and a task leaves a step only
when every combination of it is done or failed, so the next step finds all
its inputs.

    SCIDB_CATALOG=postgresql://... SCIDB_DATA=/shared/lab/scidb python pipeline_task.py

SCIDB_CATALOG is the catalog URL (keep the password in ~/.pgpass, see
docs/cluster.md), SCIDB_DATA the payload folder every node mounts at the
same path. SCIDB_LEASE_SECONDS (default 60) is how long a claim holds
without renewal: a killed task's combinations go to another task that long
after it stopped.
"""

import os
import socket

from scidb import configure_database, for_each

from gait import (KEYS, SCHEMA_KEYS, FilteredForce, MeanStepLength, RawForce, RawKinematicData,
                  StepLength, compute_mean, extract_step_length, filter_data)

task = os.environ.get("SLURM_ARRAY_TASK_ID", "-")
lease = float(os.environ.get("SCIDB_LEASE_SECONDS", "60"))
db = configure_database(os.environ["SCIDB_CATALOG"], SCHEMA_KEYS, data_path=os.environ["SCIDB_DATA"])
shared = dict(reserve_jobs=True, lease_seconds=lease, quiet=True, **KEYS)

steps = [
    ("extract_step_length", extract_step_length, {"kinematic_data": RawKinematicData}, [StepLength]),
    ("compute_mean", compute_mean, {"values": StepLength}, [MeanStepLength]),
    ("filter_data 0.2", filter_data, {"values": RawForce, "smoothing": 0.2}, [FilteredForce]),
    ("filter_data 0.3", filter_data, {"values": RawForce, "smoothing": 0.3}, [FilteredForce]),
]
for name, fn, inputs, outputs in steps:
    df = for_each(fn, inputs=inputs, outputs=outputs, **shared)
    # "cached": computed before, or by another task of the array.
    counts = ", ".join(f"{n} {s}" for s, n in df["status"].value_counts().items())
    print(f"task {task} ({socket.gethostname()}, pid {os.getpid()}) {name}: {counts}", flush=True)
db.close()
