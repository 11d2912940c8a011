"""What a timing records about its machine: "AMD EPYC" alone named chips of very different speed."""

from __future__ import annotations

from pipeline.machine import machine, vector_unit


def test_the_widest_vector_unit_is_read_from_the_cpu_flags():
    assert vector_unit("model name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma\n") == "avx2"
    assert vector_unit("flags\t\t: sse2 avx2 avx512f avx512bw\n") == "avx512f"
    assert vector_unit("no flags here\n") == "unknown"
    facts = machine()
    assert facts["vector_unit"] in {"avx512f", "avx2", "avx", "sse2", "unknown"}
    assert facts["cpus"] >= 1
