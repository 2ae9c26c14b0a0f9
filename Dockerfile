# Dateline: REST API for news-article metadata.
#
#   docker build -t dateline .
#   docker run -p 8000:8000 -v dateline-data:/data dateline
#   docker run -p 8000:8000 -e DATELINE_DATABASE_URL=postgresql://user:pw@db/dateline dateline
#
# gunicorn waits up to 20 s (graceful_timeout) for in-flight requests on SIGTERM;
# give `docker stop` more than that, e.g. `--stop-timeout 25` / compose `stop_grace_period: 25s`.

# --- builder: build the project's wheel and install it, with the postgres extra, into a venv.
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . .

# Only the locally built wheel is installed by name; its dependencies are bounded by the
# version ranges in pyproject.toml. psycopg[binary] ships manylinux wheels, so no compiler
# or apt packages are needed.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
 && set -- /wheels/dateline-*.whl \
 && /opt/venv/bin/pip install "$1[postgres]"

# --- runtime: the venv and nothing else.
FROM python:3.11-slim

# Non-root user, named by number in USER below so runAsNonRoot checks can verify it.
# /data holds the SQLite database; it is created here so a fresh named volume inherits
# the dateline ownership.
RUN groupadd --system --gid 10001 dateline \
 && useradd --system --uid 10001 --gid dateline \
        --home-dir /home/dateline --create-home --shell /usr/sbin/nologin dateline \
 && mkdir /data \
 && chown dateline:dateline /data

COPY --from=builder /opt/venv /opt/venv

ENV PATH=/opt/venv/bin:$PATH \
    HOME=/home/dateline \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATELINE_HOST=0.0.0.0 \
    DATELINE_PORT=8000 \
    DATELINE_DATABASE_URL=sqlite:////data/dateline.db

VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 8000

# slim has no curl: probe /healthz with the standard library (non-2xx raises, so exit 1).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('DATELINE_PORT', '8000'), timeout=4)"]

# Exec form: gunicorn's arbiter is PID 1 and gets docker's SIGTERM for a graceful stop.
CMD ["dateline", "serve"]
