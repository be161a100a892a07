"""``python -m stackrift`` runs the command-line interface."""

from stackrift.cli import main

main()
