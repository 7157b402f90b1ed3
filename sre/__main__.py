"""`python -m sre` runs the `alpha` command line."""

from sre.cli import main

raise SystemExit(main())
