"""A worker of the shared-jobs tests: runs one for_each with
reserve_jobs=True against a PostgreSQL catalog, appending a line
"<pid> <subject> <trial>" to a log file each time the function runs.

    python jobs_worker.py URL DATA_PATH LOG LEASE_SECONDS DELAY_SECONDS
"""

import os
import sys
import time

import numpy as np

import scidb
from scidb import BaseVariable


class Raw(BaseVariable):
    pass


class Doubled(BaseVariable):
    pass


class Negated(BaseVariable):
    pass


def split(x):
    value = float(np.asarray(x))
    with open(LOG, "a") as f:
        f.write(f"{os.getpid()} {int(value) // 100} {int(value) % 100}\n")
    time.sleep(DELAY)
    return value * 2, -value


if __name__ == "__main__":
    url, data, LOG, lease, delay = sys.argv[1:6]
    DELAY = float(delay)
    scidb.configure_database(url, ["subject", "trial"], data_path=data)
    df = scidb.for_each(
        split,
        inputs={"x": Raw},
        outputs=[Doubled, Negated],
        reserve_jobs=True,
        lease_seconds=float(lease),
        quiet=True,
        subject=[],
        trial=[],
    )
    counts = df["status"].value_counts().to_dict()
    print(f"{os.getpid()} {counts}", flush=True)
