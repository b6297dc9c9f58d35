# The service in production, on PostgreSQL and Redis: `docker compose up` (compose.yaml)
# runs it with both. Its settings come from APP_* variables (settings.toml says what each
# means); the secret and the database URL are the deployment's, never the image's.

# The runtime dependencies of pyproject.toml, and nothing of the test or bench extras, in a
# virtualenv the second stage copies: pip and its caches stay behind. The extension's
# distribution, which pyproject.toml names, is built from its path (as `make run` does).
FROM python:3.11-slim AS dependencies
WORKDIR /build
COPY pyproject.toml ./
COPY packages/sanic-jwt-extended ./packages/sanic-jwt-extended
COPY sanic_jwt_extended ./sanic_jwt_extended
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check ./packages/sanic-jwt-extended -r requirements.txt

# The service runs from its source, as `make run` does: settings.toml is found beside app/.
FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home stores
COPY --from=dependencies /opt/venv /opt/venv
WORKDIR /srv/stores-api
COPY server.py settings.toml ./
COPY app ./app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_ENV=production
# Compiled now: the service's user may not write beside its source.
RUN python -m compileall -q .
USER stores
EXPOSE 8000
# /health answers 200 when the database and the blacklist answer, 503 (an error here)
# when one does not; python's urllib, as the slim image has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('APP_PORT', '8000')}/health\", timeout=4)"]
CMD ["python", "server.py", "--host", "0.0.0.0"]
