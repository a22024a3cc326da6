"""The iPad app's sync contract (R16-R19, R31): what lets a device work offline and converge.

- `exactly_once`, `outcomes`: a keyed mutation has one effect however often it is sent (R16);
- `feed`: the change feed read from the change log through the viewer's scope (R18);
- `live`, `listen`: one meeting's changes as they commit, woken on PostgreSQL by LISTEN (R19).
"""
