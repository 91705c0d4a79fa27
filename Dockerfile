# Sabaq node image: python -m server run (migrate, then serve; never seeds in production).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, read from pyproject.toml, so that a code change does not reinstall them.
# --prefer-binary: take the newest release that has a wheel for this Python (e.g. PyAV).
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --prefer-binary -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

# The project itself, installed in place so that the code and frontend/ under /app are what runs.
COPY . .
RUN pip install --no-deps --editable . \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin sabaq \
    && mkdir -p /app/data \
    && chown sabaq:sabaq /app/data

ENV SABAQ_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/app/data \
    ICE_UDP_PORT_MIN=40000 \
    ICE_UDP_PORT_MAX=40999

USER sabaq
VOLUME ["/app/data"]
EXPOSE 8000/tcp 40000-40999/udp

CMD ["python", "-m", "server", "run"]
