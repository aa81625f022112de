"""Benchmarks that print numbers (nothing here is a pass/fail test).

Kept import-free: `python -m toolpast.bench.worker` must load only what the measured operation loads, so that
the import-only baseline it is compared against is the same interpreter + imports.
"""
