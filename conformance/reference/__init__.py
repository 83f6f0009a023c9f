"""Bundled destinations the kit runs as ``--target reference`` (``reference:<name>``).

- :mod:`conformance.reference.segment_httpx` (the default ``reference``): the Segment Planhat
  destination, profile ``segment``, in Python with httpx; one request per event.
- :mod:`conformance.reference.segment_requests` (``reference:segment_requests``): profile
  ``segment`` with requests and its own retry loop honouring ``Retry-After``.
- :mod:`conformance.reference.activities_bulk` (``reference:activities_bulk``, run with
  ``--profile activities``): track and page posted to ``/analytics/bulk/<apiKey>``.
- ``segment_node.mjs`` (``reference:segment_node``): profile ``segment`` in Node.js 20 with no npm
  dependencies, a command target; it forwards the event's raw JSON text (W-4).

Each module exposes ``handle(event, settings)``: it returns for outcome ``ok`` and raises
Segment's Destination Functions errors otherwise (rules O-1 … O-4).
"""
