"""`python -m sptweb` is the `sptweb` command."""

import sys

from .cli import main

sys.exit(main())
