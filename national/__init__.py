"""The national services both systems look up, as clients of a national API would (DESIGN §2–§3).

The population and prescription registers, the national tariff and the access-log service. The
portal and the EPJ read them only through `national.selectors` and write them only through
`national.services`; operators load them with management commands. Nothing here imports the
portal's apps or the EPJ.
"""
