"""What the server does, as plain functions over a SQLAlchemy session and the acting user.

Every function checks tenancy itself (objects of units the user cannot see are not found) and
records its writes in the audit log; functions flush, and the caller commits (the HTTP layer's
session dependency commits when the request succeeds), so a failed request stores nothing.
"""
