"""Public dossier lookup under 64 concurrent connections, against its floor.

    .venv/bin/python benchmarks/onestop_lookup.py                  # 20,000 dossiers
    .venv/bin/python benchmarks/onestop_lookup.py --dossiers 100000 --rounds 5

GET /api/v1/onestop/lookup/?code=...&secret=... (1 in 10 with wrong digits → 404) on the
served app and on the floor (a bare Django app running the same indexed query), measured
in interleaved slices. The harness, shared with the catalogue search and the procedure
page, is `benchmarks/public_pages.py` (its docstring says how); this runs its `lookup`
page only. One JSON line: requests_per_s, p95_ms, floor_requests_per_s, floor_p95_ms,
ratio_of_floor, …
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from public_pages import free_port, main, wait_up  # noqa: E402

__all__ = ["free_port", "wait_up"]  # benchmarks/counter.py and meetings.py use them

if __name__ == "__main__":
    main(name="onestop_lookup", pages=("lookup",), doc=__doc__ or "")
