"""`python -m sptweb` is the `sptweb` command."""

import sys

from .cli import main

# Guarded: a cold first walk's worker processes (scan/walk_processes.py) import the main module
# of the process that started them; unguarded, each would start a server of its own.
if __name__ == "__main__":
    sys.exit(main())
