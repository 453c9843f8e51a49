"""Core operations, one function per user-visible action.

Each takes an open :class:`~sqlalchemy.ext.asyncio.AsyncSession` (the caller owns the transaction:
handlers get one per update from the middleware, jobs open their own) and plain values, and returns
small frozen records — never ORM rows, so nothing is lazily loaded after the session closes.
"""
