"""status: one line for a shell prompt, as fast as ``worklog --help``.

A prompt asks at every command, and the log rarely changes in between: what the line
needs of the day's plan (the running item and since when, the minutes worked) is kept in
``$XDG_CACHE_HOME/worklog/status.json`` under the log's path, size, modification time,
the day and the config's reading options. While they hold, ``status`` reads that small
file and imports nothing of the parser; else it reads the day's plan as ``today`` does
and keeps the result. The cache only ever holds facts derived from the log; deleting it
costs one slower run.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer

from worklog.cli.session import Session, session
from worklog.config import cache_dir
from worklog.format import items as it
from worklog.store.cache import read_json, write_json


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def cache_path(env: dict[str, str] | Any) -> Path:
    return cache_dir(env) / "status.json"


def _facts(sess: Session, day: date) -> dict[str, Any]:
    """What the line needs of the day's plan (``today``'s view)."""
    from worklog.day import plan as pl  # noqa: PLC0415  (not on a cache hit)

    tail = sess.log.load_tail(pl.enough_for(day, previous=True))
    view = pl.day_view(tail.doc.entries, day, sess.now())
    left = view.left_running
    running = next((i for i in view.items if i.state == "active"), None)
    return {
        "plan": view.plan is not None,
        "worked": view.worked_minutes,
        "running": None if running is None or running.open_range is None else
        [running.n, it.format_hm(running.open_range.start), running.text],
        "left": None if left is None or view.source is None else
        [left.n, view.source.day.isoformat()],
    }


def status_line(facts: dict[str, Any], now: datetime) -> str:
    """``3) 0h50 release notes, today 4h50``; ``today 4h50``; ``no plan``."""
    if not facts["plan"]:
        left = facts["left"]
        return f"no plan; {left[0]}) of {left[1]} left running" if left else "no plan"
    total = facts["worked"]
    if facts["running"] is None:
        return f"today {it.format_minutes(total)}"
    n, since_text, text = facts["running"]
    since = it.parse_hm(since_text)
    assert since is not None
    elapsed = it.Range(since, (now.hour, now.minute))
    if elapsed.impossible:
        running = "left open"
    else:
        running = it.format_minutes(elapsed.minutes)
        total += elapsed.minutes
    shown = text if len(text) <= 30 else text[:29] + "…"
    return f"{n}) {running} {shown}, today {it.format_minutes(total)}".replace("  ", " ")


def _read_cache(path: Path, key: list[Any]) -> dict[str, Any] | None:
    data = read_json(path)
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    facts = data.get("facts")
    return facts if isinstance(facts, dict) else None


def status(ctx: typer.Context) -> None:
    """One line for a shell prompt: the running item and its time, today's total (with
    the running time)."""
    sess = session(ctx)
    if sess.log_not_started():
        typer.echo("no plan")
        return
    now = sess.now()
    log_path = sess.log_path.resolve()
    info = log_path.stat()
    key = [str(log_path), info.st_size, info.st_mtime_ns, now.date().isoformat(),
           sess.config.day_first, sess.config.encoding]
    cache = cache_path(sess.env)
    facts = _read_cache(cache, key)
    if facts is None:
        facts = _facts(sess, now.date())
        write_json(cache, {"key": key, "facts": facts})
    line = status_line(facts, now)
    typer.echo(line.encode("utf-8", "replace").decode("utf-8"))
