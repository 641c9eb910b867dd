"""Process-wide runtime settings of the server process (not of tests, which share their interpreter)."""

from __future__ import annotations

import gc

# CPython's default first-generation threshold (700 allocations) makes an ingest storm, which allocates
# a few dozen objects per alert and keeps most of them, pay for a young-generation collection every
# few alerts: a quarter to a third of ingest CPU in profiles. A larger threshold collects the same
# garbage in fewer, larger passes; cyclic garbage is still collected, only less often.
GEN0_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Move everything allocated so far (imports, app objects) out of the collector's generations and
    raise the first-generation threshold. Call once, after start-up, in the serving process."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
