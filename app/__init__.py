"""The stores-and-items REST service, built on sanic_jwt_extended.

from app import create_app

The layers, bottom-up; each imports only layers listed before it, for typing too
(tests/app/test_layers.py holds the import graph to this list):

    exceptions          the domain's errors, knowing nothing of HTTP
    settings            Settings: settings.toml overlaid by APP_<KEY> variables
    development_secret  the random signing key of a development server
    db                  tortoise contexts, models, migrations, the storage helpers
    schemas             the pydantic bodies of requests and responses
    accounts            passwords, this service's tokens and keys, the flows that change users
    web                 the HTTP side: error table, guards, payloads, docs, logs, routes
    factory             create_app: an app built from its settings
"""

from app.factory import create_app

__all__ = ["create_app"]
