"""``python -m toolenv``: see ``toolenv.cli``."""

from toolenv.cli import main

main()
