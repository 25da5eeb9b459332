"""The test suite, including the production build of the app, leaves the git work tree as it found it.

Reflex writes into the checkout when it initialises a fresh ``.web``: it merges its defaults into
``.gitignore`` and persists the frontend's ``package.json``/``bun.lock`` under ``reflex.lock/``.
The committed versions are exactly what Reflex writes, so a run changes nothing; this test
catches the day a Reflex upgrade (or anything else the suite runs) writes something new.

The snapshot is taken when this module is collected, that is before any test runs; the check
runs after the ``console_url`` fixture has built and started the app (the same path as
``make run``). Browser tests run last in the session and this module sorts after the other
``tests/e2e`` modules, so the check sees what the whole suite did. On a fresh clone (CI) the
tree starts clean, so this is "``git status --porcelain`` is empty"; in a working copy with
uncommitted edits, those edits are part of the snapshot and only files changed or created
during the session fail the test (so do your own edits made while it runs).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _git(*args: str) -> subprocess.CompletedProcess[bytes]:
    # --no-optional-locks: a status must not rewrite the index of a checkout others are using
    return subprocess.run(["git", "--no-optional-locks", *args], cwd=ROOT, capture_output=True, check=False)


def _is_git_checkout() -> bool:
    return shutil.which("git") is not None and _git("rev-parse", "--is-inside-work-tree").stdout.strip() == b"true"


def _worktree_state() -> dict[str, str]:
    """``git status`` entries (every untracked file listed) with a hash of each file's current content.

    The hash makes a second change to an already modified file visible too.
    """
    out = _git("status", "--porcelain=v1", "-z", "--untracked-files=all").stdout.decode()
    entries = out.split("\0")
    state: dict[str, str] = {}
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if "R" in code or "C" in code:
            i += 1  # -z puts a rename's source path in the next field
        file = ROOT / path
        digest = hashlib.sha256(file.read_bytes()).hexdigest()[:16] if file.is_file() else "-"
        state[f"{code} {path}"] = digest
    return state


_IS_CHECKOUT = _is_git_checkout()
_BEFORE = _worktree_state() if _IS_CHECKOUT else {}


@pytest.mark.browser
@pytest.mark.timeout(600)  # the first browser test of a session may be this one: cold production build
@pytest.mark.skipif(not _IS_CHECKOUT, reason="not a git checkout")
def test_suite_and_app_build_leave_the_worktree_clean(console_url: str) -> None:
    after = _worktree_state()
    changed = sorted(
        f"{entry} ({'new' if entry not in _BEFORE else 'rewritten'})"
        for entry, digest in after.items()
        if _BEFORE.get(entry) != digest
    )
    assert not changed, (
        "the test session changed the git work tree (compare `git status --porcelain` and `git diff`); "
        "commit what the tool writes or keep it out of the tree (.gitignore):\n" + "\n".join(changed)
    )
