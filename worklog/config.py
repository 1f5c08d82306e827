"""Where the log is and how to read it: command line, environment, config file, default.

``~/.config/worklog/config.toml`` (``$XDG_CONFIG_HOME`` respected)::

    file = "~/Documents/work.LOG"   # the log
    day_first = true                # year-last stamps: 03/02/2014 is 3 February
    encoding = "cp1252"             # the ANSI code page of files without BOM that are not UTF-8
    libvirt_uri = "qemu:///system"  # for worklog snap
    target = "8h"                   # report's daily target, Monday to Friday
    # or per weekday (days left out: none):  target = { mon = "8h", fri = "6h" }
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from worklog.errors import ConfigError, UsageError
from worklog.format.encoding import DEFAULT_ANSI

if TYPE_CHECKING:  # the parser is imported when a log is read, not for the config
    from worklog.format.document import ParseOptions

DEFAULT_LOG_NAME = "worklog.LOG"


@dataclass(frozen=True)
class Config:
    """The settings of the config file (defaults where it has none)."""

    file: Path | None = None
    day_first: bool | None = None
    encoding: str = DEFAULT_ANSI
    libvirt_uri: str | None = None
    #: minutes to work on each weekday, Monday first; None: no target
    target: tuple[int, ...] | None = None
    path: Path | None = None  # where the config was read from

    @property
    def parse_options(self) -> ParseOptions:
        from worklog.format.document import ParseOptions  # noqa: PLC0415

        return ParseOptions(day_first=self.day_first, ansi=self.encoding)


def config_path(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "worklog" / "config.toml"


def cache_dir(env: Mapping[str, str]) -> Path:
    """Where worklog keeps what it derives from a log to answer faster (never beside it)."""
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".cache")
    return Path(base) / "worklog"


def _expand(value: str, env: Mapping[str, str]) -> Path:
    if value.startswith("~"):
        value = env.get("HOME", str(Path.home())) + value[1:]
    return Path(value)


def load_config(env: Mapping[str, str] | None = None) -> Config:
    """Read the config file, if any; a ConfigError names the file and what is wrong."""
    environ = os.environ if env is None else env
    path = config_path(environ)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from exc
    import tomllib  # noqa: PLC0415  (only when there is a config file)

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    return _from_table(data, path, environ)


def _from_table(data: Mapping[str, object], path: Path, env: Mapping[str, str]) -> Config:
    known = {"file", "day_first", "encoding", "libvirt_uri", "target"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    file = data.get("file")
    day_first = data.get("day_first")
    encoding = data.get("encoding", DEFAULT_ANSI)
    uri = data.get("libvirt_uri")
    if file is not None and not isinstance(file, str):
        raise ConfigError(f"{path}: 'file' must be a string")
    if day_first is not None and not isinstance(day_first, bool):
        raise ConfigError(f"{path}: 'day_first' must be true or false")
    if not isinstance(encoding, str):
        raise ConfigError(f"{path}: 'encoding' must be a string")
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise ConfigError(f"{path}: unknown encoding {encoding!r}") from exc
    if not usable_ansi(encoding):
        raise ConfigError(f"{path}: 'encoding' {encoding!r} cannot be an ANSI code page "
                          "(one that writes ASCII as ASCII, such as cp1252, cp1251 or cp932)")
    if uri is not None and not isinstance(uri, str):
        raise ConfigError(f"{path}: 'libvirt_uri' must be a string")
    return Config(
        file=_expand(file, env) if file else None,
        day_first=day_first,
        encoding=encoding,
        libvirt_uri=uri,
        target=_target(data.get("target"), path),
        path=path,
    )


def _target(value: object, path: Path) -> tuple[int, ...] | None:
    """``target = "8h"`` (Monday to Friday) or ``target = { mon = "8h", ... }``."""
    if value is None:
        return None
    from worklog.format.dates import WEEKDAY_NUMBERS, parse_duration  # noqa: PLC0415

    try:
        if isinstance(value, str):
            minutes = parse_duration(value, option="'target'")
            return (minutes,) * 5 + (0, 0)
        if isinstance(value, dict):
            days = [0] * 7
            for key, text in value.items():
                day = WEEKDAY_NUMBERS.get(str(key).lower())
                if day is None:
                    raise ConfigError(f"{path}: 'target': {key!r} is not a weekday "
                                      "(mon, tue, ... sun)")
                if not isinstance(text, str):
                    raise ConfigError(f"{path}: 'target.{key}' must be a string like \"8h\"")
                days[day] = parse_duration(text, option=f"'target.{key}'")
            return tuple(days)
    except UsageError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    raise ConfigError(f"{path}: 'target' must be a duration like \"8h\" or a table of "
                      "weekdays like { mon = \"8h\", fri = \"6h\" }")


_ASCII_SAMPLE = "".join(chr(c) for c in range(128))


def usable_ansi(encoding: str) -> bool:
    """True for a text encoding that writes ASCII as ASCII and reads any bytes (with
    ``surrogateescape``): what a file without BOM that is not UTF-8 is read with.
    Rules out codecs that are not text encodings (base64, rot13), UTF-16/32, UTF-7."""
    try:
        if _ASCII_SAMPLE.encode(encoding) != _ASCII_SAMPLE.encode("ascii"):
            return False
        bytes(range(256)).decode(encoding, "surrogateescape")
    except (LookupError, UnicodeError, TypeError, ValueError):
        return False
    return True


def resolve_log_path(
    option: Path | None, env: Mapping[str, str], config: Config
) -> tuple[Path, str]:
    """The log file and what chose it: ``--file``, ``$WORKLOG_FILE``, the config, the default."""
    if option is not None:
        return option, "--file"
    if env.get("WORKLOG_FILE"):
        return _expand(env["WORKLOG_FILE"], env), "$WORKLOG_FILE"
    if config.file is not None:
        return config.file, str(config.path)
    return _expand("~/" + DEFAULT_LOG_NAME, env), "default"
