"""The build step pyproject.toml cannot say: docs/FORMAT.md and docs/CLI.md go into the
wheel as worklog/docs/, so that ``worklog help format`` and ``worklog help commands`` work
offline from an installed worklog. docs/ stays the one source; nothing is copied in the
checkout."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED_DOCS = ("FORMAT.md", "CLI.md")


class BuildWithDocs(build_py):  # type: ignore[misc]
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads docs/ where it is
            return
        target = Path(self.build_lib) / "worklog" / "docs"
        target.mkdir(parents=True, exist_ok=True)
        for name in SHIPPED_DOCS:
            shutil.copyfile(Path("docs") / name, target / name)


setup(cmdclass={"build_py": BuildWithDocs})
