"""`python -m app` is the `cartella` command."""

from .cli import main

main()
