"""`python -m obclip.cli`."""

import sys

from obclip.cli import main

sys.exit(main())
