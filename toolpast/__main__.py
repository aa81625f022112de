import sys

from toolpast.cli import main

sys.exit(main())
