"""The rules. Plain functions taking a session and the acting user; no CLI or TUI imports."""
