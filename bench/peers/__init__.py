"""Minimal peers for the kit: the same routes on other stacks, for comparison.

Each has `GET /hello`, a bare route, and `GET /protected`, which decodes the bearer
token (HS256, key in BENCH_SECRET) and answers with its subject. The Sanic peer also
reads an item, without a token (`GET /items/{id}`) and with one
(`GET /protected-items/{id}`), from the database of BENCH_DATABASE_URL. The kit starts
them pinned to the servers' CPU, like ours; they are not part of the service.
"""
