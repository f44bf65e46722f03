"""Screens of ``crm tui``: one per view, plus record details and modals."""
