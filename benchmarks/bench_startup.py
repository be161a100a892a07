"""Start-up: ``stackrift --version`` and ``stackrift --help`` in fresh processes.

Target (issue 17): each within 0.15 s of wall time, median of the runs. Bare Python (``python -c
pass``) is measured in the same run as the floor, so the figure can be read on any machine.
"""

from __future__ import annotations

from harness import check_limit, measure, python, stackrift

LIMIT_S = 0.15


def main() -> None:
    floor = measure("bare python", python("-c", "pass"))
    for args in (("--version",), ("--help",)):
        label = f"stackrift {' '.join(args)}"
        result = measure(label, stackrift(*args))
        print(f"  {label}: {result.median('wall_s') / floor.median('wall_s'):.1f}x bare python",
              flush=True)
        check_limit(f"start-up: {label}", "wall_s", result.median("wall_s"), LIMIT_S)


if __name__ == "__main__":
    main()
