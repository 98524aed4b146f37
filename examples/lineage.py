"""The seed README's "Track Lineage Automatically" example, run as written
(only the filter body is filled in), then run again to show the cache.

    python examples/lineage.py [DATABASE]
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

from scidb import BaseVariable, configure_database

path = sys.argv[1] if len(sys.argv) > 1 else str(Path(tempfile.mkdtemp()) / "my_experiment_data.duckdb")
db = configure_database(path, dataset_schema_keys=["subject", "session"])


class RawEMG(BaseVariable):
    pass


class FilteredEMG(BaseVariable):
    pass


class MaxActivation(BaseVariable):
    pass


RawEMG.save(np.random.default_rng(0).standard_normal(1000), subject=1, session="baseline")

# --- the seed's example, verbatim from here -------------------------------
from scidb import thunk


@thunk
def bandpass_filter(signal, low_hz, high_hz):
    # your filtering logic
    spectrum = np.fft.rfft(signal)
    freqs = np.fft.rfftfreq(len(signal), d=1 / 2000)
    spectrum[(freqs < low_hz) | (freqs > high_hz)] = 0
    filtered_signal = np.fft.irfft(spectrum, n=len(signal))
    return filtered_signal


@thunk
def compute_max(signal):
    return float(np.max(np.abs(signal)))


# Run the pipeline — lineage is tracked behind the scenes
raw = RawEMG.load(subject=1, session="baseline")
filtered = bandpass_filter(raw, low_hz=20, high_hz=450)
max_val = compute_max(filtered)

# Save results
FilteredEMG.save(filtered, subject=1, session="baseline")
MaxActivation.save(max_val, subject=1, session="baseline")

# Later: "What function produced this, and with what settings?"
provenance = db.get_provenance(FilteredEMG, subject=1, session="baseline")
print(provenance["function_name"])  # "bandpass_filter"
print(provenance["constants"])      # {"low_hz": 20, "high_hz": 450}

from scidb.thunk import Thunk

compute_max = Thunk(compute_max)
# --- end of the seed's example ---------------------------------------------

# Run the same pipeline again: every step is a cache hit.
filtered = bandpass_filter(RawEMG.load(subject=1, session="baseline"), low_hz=20, high_hz=450)
max_val = compute_max(filtered)
print("second run cached:", filtered.cached, max_val.cached)
for step in db.get_upstream_provenance(MaxActivation, subject=1, session="baseline"):
    inputs = ", ".join(f"{i['name']}={i['variable']}:{(i['record_id'] or 'value')[:8]}" for i in step["inputs"])
    print(f"{step['variable']} <- {step['function_name']}({inputs}) constants={step['constants']}")
