"""The benchmarks of fake-planhat, each next to a baseline measured in the same run.

Run ``python -m bench`` (``make bench``); see docs/performance.md for what it measures.
"""
