"""sanic-jwt-extended: the 1.0 API, on current Sanic and PyJWT 2.

from sanic_jwt_extended import JWT, jwt_required

with JWT.initialize(app) as manager:
    manager.config.secret_key = "..."
"""

from .decorators import jwt_optional, jwt_required, refresh_jwt_required, verify_jwt_in_request
from .jwt_manager import JWT

__all__ = ["JWT", "jwt_optional", "jwt_required", "refresh_jwt_required", "verify_jwt_in_request"]
