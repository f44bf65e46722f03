"""One module per noun. Each parses arguments, calls one service function and renders the result.

Modules here import only Typer and crmcli's light modules at top level; the
store and services are imported inside the command functions.
"""
