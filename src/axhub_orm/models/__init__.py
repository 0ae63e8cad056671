"""The entities: App, Table, Column, Grant, Row and their managers.

``_base.py`` and ``_typed.py`` hold the sans-IO parts (state machine, column specs, typed-row
schemas); ``_async/`` is the hand-written I/O and ``_sync/`` its generated twin. The public
names are exported once, from :mod:`axhub_orm`.
"""
