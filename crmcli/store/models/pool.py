"""The public pool (公海), the lead pool and their rules (DOMAIN.md "Public pool")."""

from __future__ import annotations
