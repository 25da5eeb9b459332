"""Fail when requirements.lock no longer satisfies pyproject.toml.

setup.sh installs exactly the lock, so a dependency added to (or tightened in) pyproject.toml
without `make lock` would otherwise go missing silently, or stay at a version the project no
longer accepts. Run with the project's virtualenv (it needs ``packaging``).
"""

import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def stale_requirements(lock_text: str, project: dict) -> list[str]:
    """The requirements of the project and its dev extra that no pin in the lock satisfies."""
    pins = {canonicalize_name(m[1]): Version(m[2]) for m in re.finditer(r"^([A-Za-z0-9._-]+)==(\S+)", lock_text, re.M)}
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    stale = []
    for req in wanted:
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue  # not for this platform
        pin = pins.get(canonicalize_name(req.name))
        if pin is None or not req.specifier.contains(pin, prereleases=True):
            stale.append(str(req))
    return stale


def main() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    stale = stale_requirements((ROOT / "requirements.lock").read_text(), project)
    if stale:
        sys.exit(f"requirements.lock does not satisfy pyproject.toml ({', '.join(stale)}): run `make lock`")


if __name__ == "__main__":
    main()
