"""Tasks, events and reminders (DOMAIN.md "Tasks and schedule")."""

from __future__ import annotations
