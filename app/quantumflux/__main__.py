"""``python -m quantumflux``."""

import sys

from quantumflux.cli.main import main

sys.exit(main())
