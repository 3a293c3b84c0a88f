"""CSV import, the domain part: reading files, recognising columns, turning rows into records.

Nothing here touches AWS; the service (chalicelib/services/imports.py) feeds bytes in and
writes what comes out.
"""
