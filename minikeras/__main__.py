"""`python -m minikeras ...` runs the command line (see `minikeras.cli`)."""

import sys

from minikeras.cli import main

sys.exit(main())
