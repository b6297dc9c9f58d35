"""A verifier that is not ours: PyJWT alone, trusting the keys a service publishes.

    python tests/app/jwks_verifier.py JWKS_URL

It reads one token a line from stdin and answers each with one line, `valid SUB KID` or
`invalid ERROR`, keeping one `PyJWKClient` for its whole life, as a service that trusts
ours would: the JWK Set is fetched once and cached, and fetched again only for a `kid`
the cached set lacks. Nothing of this repository is imported.
"""

import sys

import jwt


def main() -> None:
    # PyJWT waits 30 s by default between two fetches for unknown kids, against a flood
    # of made-up ones; a verifier trusting only its own URL may skip that wait.
    client = jwt.PyJWKClient(sys.argv[1], cooldown_duration=0)
    for line in sys.stdin:
        token = line.strip()
        try:
            key = client.get_signing_key_from_jwt(token)
            claims = jwt.decode(token, key, algorithms=[key.algorithm_name])
        except jwt.PyJWTError as error:
            print("invalid", type(error).__name__, flush=True)
        else:
            print("valid", claims["sub"], key.key_id, flush=True)


if __name__ == "__main__":
    main()
