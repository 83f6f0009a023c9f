"""Bundled destinations the kit runs as ``--target reference`` (``reference:<name>``).

- :mod:`conformance.reference.segment_httpx` (the default ``reference``): the Segment Planhat
  destination, profile ``segment``, in Python with httpx; one request per event.

Each module exposes ``handle(event, settings)``: it returns for outcome ``ok`` and raises
Segment's Destination Functions errors otherwise (CONTRACT §1).
"""
