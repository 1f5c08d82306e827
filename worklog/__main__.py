"""``python -m worklog``."""

from worklog.cli.app import run

run()
