"""Widgets of ``crm tui``: one per module, each with its ``.tcss`` beside it."""
