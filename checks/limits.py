"""How many sockets a check may open at once, from the process's fd limit.

icmplib's default of 50 concurrent tasks is both too low (100 silent hosts
cost two timeouts) and blind to ``ulimit -n`` (a low limit makes the whole
sweep fail with EMFILE). The budget here follows the real limit instead.
"""

from __future__ import annotations

import os
import resource

# Descriptors left for everything else the process does (logs, SQLite, HTTP).
RESERVE = 16


def open_fds() -> int:
    """Descriptors this process holds now (0 when /proc is not there)."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return 0


def fd_budget(cap: int = 4096) -> int:
    """Sockets a sweep may open concurrently: the soft limit minus what is in use."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = cap + RESERVE
    return max(1, min(cap, soft - open_fds() - RESERVE))
