"""Accounts: passwords, this service's tokens, and the flows that change users.

Below the web layer and knowing nothing of HTTP: the flows raise the errors of
app.exceptions, and the command line (create-admin) calls them as the routes do.
"""
