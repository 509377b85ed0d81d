"""`make bench`: the benchmarks of issue 15 (see the README, Performance and capacity)."""
