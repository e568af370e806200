"""``make bench``, last step: the one line a script reads (issue 13, item 6).

Reads the figures each part wrote to ``BENCH_RESULTS`` and prints
``bench: placement_ratio=… dispatch_ratio=… bulk_ratio=… scale_p95_ratio=…``; a part that did not
run (or failed before its figure) shows ``nan``. Exits 1 when a figure misses its target, so
``make bench`` fails where the issue's "done when" is not met.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

# name: (target, True when higher is better)
TARGETS = {
    "placement_ratio": (0.5, True),
    "dispatch_ratio": (0.3, True),
    "bulk_ratio": (2.0, False),
    "scale_p95_ratio": (1.5, False),
}


def main() -> int:
    path = Path(os.environ.get("BENCH_RESULTS", "") or "var/bench-results.json")
    results = json.loads(path.read_text() or "{}") if path.exists() else {}
    figures, missed = [], []
    for name, (target, higher) in TARGETS.items():
        value = float(results.get(name, math.nan))
        figures.append(f"{name}={value:.2f}")
        if math.isnan(value) or (value < target if higher else value > target):
            missed.append(f"{name} {value:.2f} (target {'≥' if higher else '≤'} {target:g})")
    print("bench: " + " ".join(figures))
    if missed:
        print("missed: " + "; ".join(missed), file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
