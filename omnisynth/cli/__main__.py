"""`python -m omnisynth.cli ...`: the same as the `omnisynth` command."""

import sys

from omnisynth.cli import main

sys.exit(main())
