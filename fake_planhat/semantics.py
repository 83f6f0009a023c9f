"""Planhat's message semantics as pure functions: the public API that clients of the fake (the
conformance kit above all) use to reason about a Segment message the way the fake does.

Each function is the one the fake's intake runs, so the kit and the fake can never disagree:

- :func:`user_key` (rule P-1), :func:`email_of` (P-2), :func:`company_key` (P-3),
  :func:`page_action` (P-6's page naming);
- :func:`id_key` and :func:`email_key`: how ids and emails are compared (ids as non-empty
  strings, numbers as their decimal text; emails trimmed and case-folded);
- :func:`token_fingerprint`: how the request journal shows a token.

Nothing here touches Flask, a tenant or the network.
"""

from __future__ import annotations

from fake_planhat.auth import fingerprint as token_fingerprint
from fake_planhat.intake import company_key, email_of, page_action, user_key
from fake_planhat.state import email_key, id_key

__all__ = [
    "company_key",
    "email_key",
    "email_of",
    "id_key",
    "page_action",
    "token_fingerprint",
    "user_key",
]
