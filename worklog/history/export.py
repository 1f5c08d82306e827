"""Entries as plain data: the JSON export contract (docs/CLI.md).

``entry_record`` is the one place an entry becomes a dict; every JSON output of worklog
builds on it, so scripts see the same fields everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from worklog.format.document import Entry
from worklog.format.todos import todo_items
from worklog.history.filters import EntryFilter

__all__ = ["EntryFilter", "command_fields", "entry_record", "iso_minutes", "json_array",
           "snapshot_fields"]


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
    """One entry as the JSON export contract describes it; a TODO note (FORMAT.md C9)
    has a ``todos`` key too."""
    email = entry.email
    record: dict[str, Any] = {
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
    todos = todo_items(entry)
    if todos:  # a TODO note (C9): its kind stays note
        record["todos"] = [{"n": t.n, "text": t.text, "state": t.state} for t in todos]
    return record


#: One encoder for every record (``json.dumps`` with options builds one per call); records
#: hold no cycles.
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)
#: Twice as fast on ASCII text, and the same bytes where it writes no ``\u`` escape.
_ASCII_ENCODER = json.JSONEncoder(check_circular=False)


def json_array(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    r"""A JSON array written piece by piece, so a large export never sits whole in memory.

    A record is encoded as ASCII first while the records are: where that writes no
    ``\u`` escape, each of its strings held only printable ASCII and the escapes both
    encoders write alike (``\\``, ``\"``, ``\n``...), so it is what ``_ENCODER`` writes;
    else ``_ENCODER`` writes it, and the next record too while they are not ASCII."""
    first = True
    encode, encode_ascii = _ENCODER.encode, _ASCII_ENCODER.encode
    ascii_first = True
    for record in records:
        if ascii_first:
            piece = encode_ascii(record)
            if "\\u" in piece:
                piece = encode(record)
                ascii_first = False
        else:
            piece = encode(record)
            ascii_first = piece.isascii()
        yield ("[\n" if first else ",\n") + piece
        first = False
    yield "[]\n" if first else "\n]\n"
