"""Entry point for ``python -m kpicli``."""

from kpicli.cli import main

main()
