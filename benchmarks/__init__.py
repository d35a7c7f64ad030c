"""Benchmarks: centreon-lake side by side with the original approach, and at scale.

``python -m benchmarks`` (``make bench``) runs the full session and writes
``benchmarks/results/bench.{json,md,png}``; ``--quick`` runs a CI-sized one.
"""
