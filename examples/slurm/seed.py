"""Saves the seed pipeline's raw data into the catalog, once, before the
array runs (what an acquisition script would have done). Saving the same
values again stores nothing new.

    SCIDB_CATALOG=postgresql://... SCIDB_DATA=/shared/lab/scidb python seed.py
"""

import os

import numpy as np

from scidb import configure_database

from gait import KEYS, SCHEMA_KEYS, RawForce, RawKinematicData

db = configure_database(os.environ["SCIDB_CATALOG"], SCHEMA_KEYS, data_path=os.environ["SCIDB_DATA"])
rng = np.random.default_rng(7)
n = 0
for s in KEYS["subject"]:
    for sess in KEYS["session"]:
        for t in KEYS["trial"]:
            step = 0.62 + 0.03 * s + (0.05 if sess == "post" else 0.0)
            heel = np.cumsum(step + 0.01 * rng.standard_normal(12))
            RawKinematicData.save(heel, subject=s, session=sess, trial=t)
            RawForce.save(700 + 50 * rng.standard_normal(200), subject=s, session=sess, trial=t)
            n += 1
print(f"seeded {n} trials of RawKinematicData and RawForce in {db.path}")
db.close()
