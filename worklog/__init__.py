"""worklog: a personal worklog kept in one plain Notepad ``.LOG`` file."""

__version__ = "0.1.0"
