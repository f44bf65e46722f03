"""``crm tui``: the full-screen face on the same services as the CLI.

Layout (one screen or widget per file, its ``.tcss`` beside it)::

    app.py          CrmApp: the four views as Textual modes (keys 1-4), ?, ctrl+p, esc, q
    data.py         the only module that calls services: one transaction per call, run
                    in a thread worker; returns plain rows of display strings (leads here;
                    data_pipeline, data_today, data_customers, data_cli are its mixins)
    keys.py         bindings written with N_() and translated per instance; read-only marks
    screens/        base.py (ViewScreen: loading off the UI thread, refresh, back),
                    one module per view (pipeline, today, customers, leads), the records
                    (opportunity, customer_360, lead_detail), and the modals (follow_up,
                    ask: one question, key_help, cli_output)
    widgets/        view_bar (the numbered views), record_table (a DataTable sized to the
                    terminal, vim keys, paging), kanban (a stage column and its cards),
                    field_list, empty_state

No rule lives here: anything that decides (validation, permissions, what is due)
is asked of ``crmcli.services`` through :mod:`crmcli.tui.data`.
"""
