"""`python -m obclip` runs the `obclip` command."""

import sys

from obclip.cli import main

sys.exit(main())
