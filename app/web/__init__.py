"""The HTTP side of the service: what requests and answers look like, and the routes.

The one module that turns errors into statuses is `errors`; the routes call the flows of
app.accounts and the storage of app.db, and answer with the schemas of app.schemas.
"""
