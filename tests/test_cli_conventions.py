"""What a command-line tool is expected to do: --version, --color, global options after
the command, usage lines a person reads, a first run that explains, help topics offline,
a current man page."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import worklog
from tests.conftest import ROOT, Runner
from worklog.cli import manpage
from worklog.cli.registry import COMMANDS

SampleCopy = Callable[[str], Path]
AT = {"WORKLOG_NOW": "2026-11-25T16:00"}
ANSI = "\x1b["


# --- --version ---------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(run_cli: Runner, flag: str) -> None:
    result = run_cli(flag)
    assert result.code == 0
    assert result.out == f"worklog {worklog.__version__}\n"


def test_version_is_the_distribution_metadata() -> None:
    """One source of truth: the installed metadata carries worklog.__version__, and the
    distribution has the name the README installs."""
    from importlib.metadata import distribution  # noqa: PLC0415

    dist = distribution("notepad-worklog")
    assert dist.version == worklog.__version__
    assert dist.entry_points.select(group="console_scripts", name="worklog")
    assert 'version = {attr = "worklog.__version__"}' in (ROOT / "pyproject.toml").read_text()


# --- global options after the command ---------------------------------------------------


def test_global_options_after_the_command(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    before = run_cli("--file", str(path), "today", "--json", env=AT)
    after = run_cli("today", "--json", "--file", str(path), env=AT)
    short = run_cli("today", "-f", str(path), "--json", env=AT)
    assert before.code == after.code == short.code == 0, after.err
    assert after.out == before.out == short.out
    assert '"planned": true' in after.out


def test_global_option_twice_with_different_values_is_refused(
    run_cli: Runner, sample: SampleCopy, tmp_path: Path
) -> None:
    path = sample("worklog.LOG")
    result = run_cli("--file", str(path), "today", "--file", str(tmp_path / "other.LOG"))
    assert result.code == 2
    assert result.err.startswith("worklog: --file: given before the command as ")
    same = run_cli("--file", str(path), "today", "--file", str(path), env=AT)
    assert same.code == 0, same.err


def test_add_with_file_after_the_command_writes_there(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    result = run_cli("add", "--file", str(path), "noted.", env={"WORKLOG_NOW": "2026-11-26T09:05"})
    assert result.code == 0, result.err
    assert path.read_bytes() == b".LOG\n09:05 2026-11-26\nnoted.\n"


def test_run_passes_options_after_its_command_on(run_cli: Runner, tmp_path: Path) -> None:
    """After `run`'s COMMAND, --file belongs to that command, not to worklog."""
    path = tmp_path / "w.LOG"
    result = run_cli("--file", str(path), "run", sys.executable, "-c",
                     "import sys; print(sys.argv[1:])", "--file", "x",
                     env={"WORKLOG_NOW": "2026-11-26T09:05"})
    assert result.code == 0, result.err
    assert "['--file', 'x']" in result.out


# --- --color ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_color_always_colours_a_pipe(run_cli: Runner, sample: SampleCopy, where: str) -> None:
    path = sample("worklog.LOG")
    args = (["--color", "always", "--file", str(path), "today"] if where == "before"
            else ["--file", str(path), "today", "--color", "always"])
    result = run_cli(*args, env=AT)  # the runner sets NO_COLOR: always wins over it
    assert result.code == 0, result.err
    assert "\x1b[32m\x1b[1m  3) active" in result.out


def test_color_always_in_grep_and_show(run_cli: Runner, sample: SampleCopy) -> None:
    path = sample("worklog.LOG")
    grep = run_cli("--color", "always", "--file", str(path), "grep", "vmbackup", env=AT)
    show = run_cli("--file", str(path), "show", "--color", "always", env=AT)
    assert grep.code == show.code == 0
    assert ANSI in grep.out
    assert ANSI in show.out


def test_color_bad_value(run_cli: Runner, sample: SampleCopy) -> None:
    result = run_cli("--color", "sometimes", "--file", str(sample("worklog.LOG")), "today")
    assert result.code == 2
    assert result.err == "worklog: --color: 'sometimes' is not one of auto, always, never\n"


def _on_terminal(args: list[str], env: dict[str, str]) -> str:
    """stdout of ``worklog ARGS`` run on a pseudo-terminal."""
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "worklog", *args], env=env,
                            stdout=child_fd, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    os.close(child_fd)
    chunks = []
    while True:
        try:
            chunk = os.read(main_fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main_fd)
    assert proc.wait() == 0
    return b"".join(chunks).decode()


@pytest.mark.parametrize(
    ("extra_env", "extra_args", "coloured"),
    [
        ({"TERM": "xterm"}, [], True),
        ({"TERM": "dumb"}, [], False),
        ({"TERM": "xterm", "NO_COLOR": "1"}, [], False),
        ({"TERM": "xterm"}, ["--color", "never"], False),
        ({"TERM": "dumb"}, ["--color", "always"], True),
    ],
)
def test_color_auto_on_a_terminal(
    sample: SampleCopy, extra_env: dict[str, str], extra_args: list[str], coloured: bool
) -> None:
    path = sample("worklog.LOG")
    env = {**os.environ, **AT, "XDG_CONFIG_HOME": str(path.parent / "no-config")}
    env.pop("NO_COLOR", None)
    env.update(extra_env)
    out = _on_terminal(["--file", str(path), "today", *extra_args], env)
    assert "release notes for vmbackup 0.4" in out
    assert (ANSI in out) == coloured


# --- usage lines ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(COMMANDS))
def test_usage_lines_read_as_words(run_cli: Runner, name: str) -> None:
    """No {n}, <str>, <int range> in usage or options; arguments in capitals."""
    result = run_cli(name, "--help")
    assert result.code == 0, result.err
    usage = result.out.splitlines()[0]
    assert usage.startswith(f"Usage: worklog {name} [OPTIONS]")
    assert not re.search(r"[{}<>]", usage), usage
    options = result.out.split("Options:", 1)[1]
    assert not re.search(r"<[a-z ]+>", options), options
    assert "docs/" not in result.out  # an installed worklog has no docs/ folder


def test_usage_examples(run_cli: Runner) -> None:
    assert run_cli("start", "--help").out.startswith("Usage: worklog start [OPTIONS] N\n")
    assert run_cli("add", "--help").out.startswith("Usage: worklog add [OPTIONS] [TEXT]...\n")
    assert "--since DAY" in run_cli("grep", "--help").out
    assert "Usage: worklog show [OPTIONS] [STAMP]\n" in run_cli("show", "--help").out


def test_root_help_says_where_global_options_go(run_cli: Runner) -> None:
    out = run_cli("--help").out
    assert "The global options work after the command too" in out
    assert "--color WHEN" in out
    assert "-V, --version" in out


# --- the first run ----------------------------------------------------------------------------


def test_first_run_today_says_where_it_looked(run_cli: Runner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = run_cli("today", env={"HOME": str(home), **AT})
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "Wed 2026-11-25",
        f"  no log yet at {home / 'worklog.LOG'} (the default; --file, $WORKLOG_FILE or "
        f"'file' in {tmp_path / 'no-config' / 'worklog' / 'config.toml'} choose another)",
        '  `worklog plan "first item"` starts it with the day\'s plan, `worklog add "text"` '
        "with a note",
    ]
    assert not (home / "worklog.LOG").exists()


def test_first_run_today_json(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    result = run_cli("today", "--json", "--file", str(path), env=AT)
    assert result.code == 0
    assert '"planned": false' in result.out
    assert result.err.startswith(f"worklog: no log yet at {path} (given by --file)\n")
    assert not path.exists()


def test_first_run_then_plan_creates_the_log(run_cli: Runner, tmp_path: Path) -> None:
    path = tmp_path / "w.LOG"
    env = {"WORKLOG_FILE": str(path), **AT}
    assert "(from $WORKLOG_FILE)" in run_cli("today", env=env).out
    assert run_cli("plan", "first item", env=env).code == 0
    assert path.read_bytes().startswith(b".LOG\n16:00 2026-11-25\nGTD\n")
    assert "1) open" in run_cli("today", env=env).out


def test_a_log_that_cannot_be_read_is_still_an_error(run_cli: Runner, tmp_path: Path) -> None:
    """Only a missing log is a first run: a log path under a file is an error."""
    (tmp_path / "file").write_bytes(b"")
    result = run_cli("today", "--file", str(tmp_path / "file" / "w.LOG"), env=AT)
    assert result.code == 4
    assert result.err.startswith("worklog: ")
    assert result.out == ""


# --- help topics, offline -----------------------------------------------------------------


@pytest.mark.parametrize(("topic", "doc"), [("format", "FORMAT.md"), ("commands", "CLI.md")])
def test_help_topics_print_the_docs(run_cli: Runner, topic: str, doc: str) -> None:
    result = run_cli("help", topic)
    assert result.code == 0
    assert result.out == (ROOT / "docs" / doc).read_text(encoding="utf-8")


def test_help_lists_topics_and_shows_a_command(run_cli: Runner) -> None:
    listing = run_cli("help")
    assert listing.code == 0
    assert "  format     the .LOG file format, rule by rule\n" in listing.out
    one = run_cli("help", "start")
    assert one.out.startswith("Usage: worklog start [OPTIONS] N\n")
    bad = run_cli("help", "nope")
    assert bad.code == 2
    assert bad.err == "worklog: help: 'nope' is not a topic (format, commands) nor a command\n"


def test_the_wheel_ships_the_docs_by_build_config() -> None:
    """setup.py copies exactly the docs help reads; the sdist carries them and the page."""
    setup = (ROOT / "setup.py").read_text(encoding="utf-8")
    assert 'SHIPPED_DOCS = ("FORMAT.md", "CLI.md")' in setup
    manifest = (ROOT / "MANIFEST.in").read_text(encoding="utf-8")
    assert "include docs/FORMAT.md docs/CLI.md" in manifest
    assert "include man/worklog.1" in manifest


# --- the man page ---------------------------------------------------------------------------


def test_man_page_is_current() -> None:
    assert manpage.PAGE.read_text(encoding="utf-8") == manpage.render(), (
        "man/worklog.1 is out of date: python -m worklog.cli.manpage rewrites it")


def test_man_page_has_every_command_and_option() -> None:
    page = manpage.render()
    for name in COMMANDS:
        assert f'.SS "worklog {manpage.roff(name)} ' in page, name
    assert "\\fB\\-\\-format\\fR \\fIFORMAT\\fR" not in page  # metavars stay plain text
    assert "\\-\\-format FORMAT" in page
    assert "\\-\\-color WHEN" in page
    assert page.startswith(f'.TH WORKLOG 1 "" "worklog {worklog.__version__}"')


def test_man_renders(tmp_path: Path) -> None:
    """man itself reads the page (as it will from share/man/man1 of an install)."""
    if not Path("/usr/bin/man").exists():
        pytest.skip("man is not installed (scripts/bootstrap installs man-db)")
    done = subprocess.run(["man", "-l", str(manpage.PAGE)], capture_output=True, text=True,
                          env={**os.environ, "MANPAGER": "cat", "MANWIDTH": "100"}, check=True)
    assert "worklog start [OPTIONS] N" in done.stdout
    assert "--color WHEN" in done.stdout.replace("‐", "-")


def test_manpage_check_fails_on_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "worklog.1"
    stale.write_text(manpage.render().replace("worklog today", "worklog toady"), encoding="utf-8")
    monkeypatch.setattr(manpage, "PAGE", stale)
    assert manpage.main(["--check"]) == 1
    assert "not current" in capsys.readouterr().err
    assert manpage.main([]) == 0
    assert manpage.main(["--check"]) == 0
