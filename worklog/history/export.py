"""Entries as plain data: the JSON export contract (docs/CLI.md) and filters.

``entry_record`` is the one place an entry becomes a dict; every JSON output of worklog
builds on it, so scripts see the same fields everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from worklog.format.document import Entry


def iso_minutes(when: datetime) -> str:
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}"


def snapshot_fields(entry: Entry) -> dict[str, Any] | None:
    """The ``snapshot`` object of a snapshot entry (see worklog snap), else None."""
    record = entry.record
    if entry.kind != "snapshot" or record is None:
        return None
    fields = record.fields
    return {
        "action": record.action,
        "domain": fields.get("domain", record.subject),
        "name": fields.get("name"),
        "result": fields.get("result", record.result),
        "uri": fields.get("uri"),
        "kind": fields.get("kind"),
        "error": fields.get("error"),
        "error_code": fields.get("error-code"),
        "for": fields.get("for"),
    }


def command_fields(entry: Entry) -> dict[str, Any] | None:
    """The ``command`` object of a command entry (see worklog run), else None."""
    record = entry.record
    if entry.kind != "command" or record is None:
        return None
    exit_code = record.fields.get("exit")
    return {
        "command": record.fields.get("command", record.subject),
        "exit": int(exit_code) if exit_code is not None and exit_code.lstrip("-").isdigit()
        else None,
        "duration": record.fields.get("duration"),
        "cwd": record.fields.get("cwd"),
    }


def entry_record(entry: Entry) -> dict[str, Any]:
    """One entry as the JSON export contract describes it."""
    email = entry.email
    return {
        "stamp": iso_minutes(entry.stamp.when) if entry.stamp.has_time else entry.stamp.iso,
        "stamp_text": entry.stamp.text,
        "line": entry.line,
        "tags": list(entry.tags),
        "kind": entry.kind,
        "links": [iso_minutes(link) for link in entry.links],
        "text": entry.text,
        "email": None if email is None else {
            "from": email.sender,
            "subject": email.subject,
            "date": iso_minutes(email.date) if email.date else None,
        },
        "snapshot": snapshot_fields(entry),
        "command": command_fields(entry),
    }


@dataclass(frozen=True)
class EntryFilter:
    """Which entries a command looks at: by day range, tags and kind."""

    since: date | None = None
    until: date | None = None
    tags: Sequence[str] = ()
    kind: str | None = None

    def matches(self, entry: Entry) -> bool:
        day = entry.day
        if self.since is not None and day < self.since:
            return False
        if self.until is not None and day > self.until:
            return False
        if self.kind is not None and entry.kind != self.kind:
            return False
        if self.tags:
            have = {tag.casefold() for tag in entry.tags}
            return all(tag.casefold() in have for tag in self.tags)
        return True

    def select(self, entries: Iterable[Entry]) -> Iterator[Entry]:
        return (entry for entry in entries if self.matches(entry))


def json_array(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON array written piece by piece, so a large export never sits whole in memory."""
    first = True
    for record in records:
        yield ("[\n" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "[]\n" if first else "\n]\n"
