"""Running the command line under a pseudo-terminal, as a person at a terminal would."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path


def run_at_terminal(columns: int, *args: str, cwd: Path) -> str:
    """What a person sees running ``stackrift ARGS`` at a terminal ``columns`` wide (colours off,
    escape sequences removed, line ends normalised)."""
    main, secondary = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "24", "NO_COLOR": "1",
           "STACKRIFT_AS_OF": "2026-11-15"}
    process = subprocess.Popen([sys.executable, "-m", "stackrift", *args], stdout=secondary,
                               stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closes when the command exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert process.wait(timeout=600) in (0, 1)
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", b"".join(chunks).decode("utf-8", "replace"))
    return text.replace("\r\n", "\n")
