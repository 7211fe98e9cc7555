"""The frozen program's entry point: exactly what the ``winnow`` console script runs from source."""

import sys

from widgets.launcher import main

if __name__ == "__main__":
    sys.exit(main())
