"""``accesstwin bench``: throughput, latency, cost and memory benchmarks.

Each benchmark is a module with a ``run_*`` function returning a ``BenchResult``;
``benchmarks.cli`` turns the results into a table on stdout and a JSON file.
Everything heavy is imported lazily, so importing this package is cheap.
"""
