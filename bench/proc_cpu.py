"""CPU seconds of a process and the processes it started (a transcriber's decoder processes), from /proc."""

from __future__ import annotations

import os
from pathlib import Path


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants (decoder processes), and of its reaped children."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # it ended meanwhile
                continue
    tree, grew = {pid}, True
    while grew:
        more = {p for p, fields in stats.items() if int(fields[1]) in tree} - tree
        tree |= more
        grew = bool(more)
    ticks = sum(int(stats[p][11]) + int(stats[p][12]) for p in tree if p in stats)
    if pid in stats:
        ticks += int(stats[pid][13]) + int(stats[pid][14])
    return ticks / os.sysconf("SC_CLK_TCK")
