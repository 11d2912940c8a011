"""What machine a timing comes from: timings only compare on the same CPU model."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def cpu_model() -> str:
    """The CPU's name as lscpu shows it ("AMD EPYC", "Intel(R) Xeon(R) Processor")."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict:
    """The facts a timing needs beside it: cores, CPU model, Python, architecture, date."""
    return {"cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu_model": cpu_model(), "python": platform.python_version(), "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%d")}
