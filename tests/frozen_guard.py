"""Imported first by conftest.py: the tests run with run records truly frozen (sptweb/scan/frozen.py).

sptweb makes them plain slotted classes at run time, 8x cheaper to build; here an assignment to
a field of one raises, wherever the code doing it lives. Set before sptweb is imported, and
inherited by the processes the tests start."""

import os

os.environ["SPTWEB_FROZEN_RECORDS"] = "1"
