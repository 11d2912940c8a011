"""What machine a timing comes from: timings only compare on the same CPU model."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def cpuinfo_field(name: str, cpuinfo: str | None = None) -> str | None:
    """The first `name : value` line of /proc/cpuinfo (or of `cpuinfo`), None if absent."""
    try:
        text = Path("/proc/cpuinfo").read_text() if cpuinfo is None else cpuinfo
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(name) and ":" in line:
            return line.split(":", 1)[1].strip()
    return None


def cpu_model() -> str:
    """The CPU's name as lscpu shows it ("AMD EPYC", "Intel(R) Xeon(R) Processor")."""
    return cpuinfo_field("model name") or platform.processor() or "unknown"


def vector_unit(cpuinfo: str | None = None) -> str:
    """The widest SIMD the CPU offers: "AMD EPYC" names different chips. The one of
    2026-12-02 (AVX2, no AVX-512) trained the 8x48 model at 1.3 s a step, where an earlier
    session's "AMD EPYC" had averaged about 0.5 s; the name alone could not tell them apart."""
    flags = (cpuinfo_field("flags", cpuinfo) or "").split()
    return next((unit for unit in ("avx512f", "avx2", "avx", "sse2") if unit in flags), "unknown")


def machine() -> dict:
    """The facts a timing needs beside it: cores, CPU model and its vector unit, Python,
    architecture, date."""
    return {"cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu_model": cpu_model(), "vector_unit": vector_unit(), "python": platform.python_version(),
            "machine": platform.machine(), "date": time.strftime("%Y-%m-%d")}
