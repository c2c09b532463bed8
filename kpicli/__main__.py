"""Entry point for ``python -m kpicli``."""

from kpicli.entry import main

main()
