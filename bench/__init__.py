"""Kinerja's benchmarks: ``python -m bench.<name> --help``; shared parts in ``bench.harness``."""
