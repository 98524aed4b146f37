"""The Python step of the cross-language lineage chain (test_cross_language.m):

    python python_chain.py PATH

loads the RawEMG that Octave saved at subject 1 / session "a", runs a Python
thunk on it and saves the result as Scaled, with its lineage.
"""

import sys

from scidb import BaseVariable, configure_database, thunk


class RawEMG(BaseVariable):
    pass


class Scaled(BaseVariable):
    pass


@thunk
def scale(signal, factor):
    return signal * factor


db = configure_database(sys.argv[1], ["subject", "session"])
raw = RawEMG.load(subject=1, session="a")
Scaled.save(scale(raw, 3), subject=1, session="a")
db.close()
