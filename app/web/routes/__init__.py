"""The HTTP API, one blueprint per resource."""

from sanic import Blueprint

from app.web.routes import auth, health, items, keys, sessions, stores, users

BLUEPRINTS: tuple[Blueprint, ...] = (
    auth.bp,
    stores.bp,
    items.bp,
    users.bp,
    sessions.bp,
    health.bp,
    keys.bp,
)
