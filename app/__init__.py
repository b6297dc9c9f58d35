"""The stores-and-items REST service, built on sanic_jwt_extended."""

from app.factory import create_app

__all__ = ["create_app"]
