"""Running the command line as a user does: a separate interpreter, output captured."""

from __future__ import annotations

import subprocess
import sys


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m stackrift ARGS``; the exit code is the caller's to check."""
    return subprocess.run(
        [sys.executable, "-m", "stackrift", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
