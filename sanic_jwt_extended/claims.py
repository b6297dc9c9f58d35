"""How public and private claims are named inside a token, both ways.

Private claims are stored as `{prefix}_{key}` (plain `key` without a prefix); public
claims as `{namespace}{path}`, nested mappings flattened into `/`-separated paths. The
same rules serve access and refresh tokens, and reading a token undoes exactly what
writing it did: claims that could not be read back as given (an empty name, a `/` in a
public claim's name, a name that the prefix and the namespace would both claim) are
refused when the token is created, as are those that would overwrite a reserved claim.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .exceptions import ConfigurationConflictError

REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
# Claims the extension itself writes besides the registered ones.
EXTENSION_CLAIMS = frozenset({"fresh", "csrf", "type", "family"})


def reserved_claims(acl_claim: str) -> frozenset[str]:
    """Names no public or private claim may take: overwriting them would forge the token."""
    return REGISTERED_CLAIMS | EXTENSION_CLAIMS | {acl_claim}


def private_claim_name(prefix: str, key: str) -> str:
    return f"{prefix}_{key}" if prefix else key


def claims_to_store(
    private_claims: Mapping[str, Any] | None,
    public_claims: Mapping[str, Any] | None,
    *,
    prefix: str,
    namespace: str,
    reserved: frozenset[str],
) -> dict[str, Any]:
    """The stored form of the caller's claims, refusing any that would shadow a reserved one
    or would not read back as given."""
    stored: dict[str, Any] = {}
    unreadable: list[str] = []
    if private_claims:
        for key, value in private_claims.items():
            name = private_claim_name(prefix, str(key))
            # Read back from under the prefix, and never as a public claim.
            if (prefix and not str(key)) or (namespace and name.startswith(namespace)):
                unreadable.append(name)
            stored[name] = value
    if public_claims:
        if not namespace:
            raise ConfigurationConflictError(
                "public claims need public_claim_namespace (a URL ending in '/' is customary)"
            )
        for keys, value in flatten(public_claims):
            name = namespace + "/".join(keys)
            # Split back into the same keys, and never read as a private claim.
            if not keys[0] or any("/" in key for key in keys) or _is_prefixed(name, prefix):
                unreadable.append(name)
            stored[name] = value
    clashes = sorted(stored.keys() & reserved)
    if clashes:
        raise ConfigurationConflictError(f"claims {clashes} would overwrite reserved claims")
    if unreadable:
        raise ConfigurationConflictError(
            f"claims {sorted(unreadable)} would not read back as given: an empty name, a '/' "
            "in a public claim's name, or a name under both the prefix and the namespace"
        )
    return stored


def _is_prefixed(name: str, prefix: str) -> bool:
    return bool(prefix) and name.startswith(f"{prefix}_")


def flatten(
    mapping: Mapping[str, Any], parent: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The leaves of nested mappings, each with the keys leading to it."""
    for key, value in mapping.items():
        keys = (*parent, str(key))
        if isinstance(value, Mapping) and value:
            yield from flatten(value, keys)
        else:
            yield keys, value


def read_private_claims(
    payload: Mapping[str, Any], *, prefix: str, namespace: str, reserved: frozenset[str]
) -> dict[str, Any]:
    """The private claims of a payload, named as the caller named them."""
    if prefix:
        start = f"{prefix}_"
        return {
            name[len(start) :]: value
            for name, value in payload.items()
            if name.startswith(start) and len(name) > len(start) and name not in reserved
        }
    return {
        name: value
        for name, value in payload.items()
        if name not in reserved and not (namespace and name.startswith(namespace))
    }


def read_public_claims(
    payload: Mapping[str, Any], *, namespace: str, reserved: frozenset[str]
) -> dict[str, Any]:
    """The public claims of a payload, unflattened, without their namespace."""
    if not namespace:
        return {}
    claims: dict[str, Any] = {}
    for name, value in payload.items():
        if name.startswith(namespace) and len(name) > len(namespace) and name not in reserved:
            _set_at_path(claims, name[len(namespace) :].split("/"), value)
    return claims


def _set_at_path(tree: dict[str, Any], path: list[str], value: Any) -> None:
    """Put `value` at `path` in the nested `tree`, creating the branches on the way."""
    for key in path[:-1]:
        branch = tree.get(key)
        if not isinstance(branch, dict):
            branch = tree[key] = {}
        tree = branch
    tree[path[-1]] = value
