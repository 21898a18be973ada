# Production image: gunicorn behind a reverse proxy. Build: docker build -t stadtspur .
# (The last stage is the app; `--target db` builds the database image docker-compose.yml uses.)

# The database: the official PostGIS image plus pgRouting for the walking network, from the
# same PostgreSQL apt repository the image already uses (so PostGIS stays 3.4).
FROM postgis/postgis:15-3.4 AS db
RUN apt-get update \
 && apt-get install -y --no-install-recommends "postgresql-$PG_MAJOR-pgrouting" \
 && rm -rf /var/lib/apt/lists/*

FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
# With the devDependencies: terser minifies Leaflet's ES module build (app/devtools/vendor.py).
RUN npm ci --no-audit --no-fund && npm run --silent vendor-minify

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    STADTSPUR_ENV=production \
    LOG_JSON=1 \
    MEDIA_ROOT=/data/media
# libpq for psycopg2 at run time; the wheels bring GEOS/PROJ/libheif themselves. Pango and a
# font for the printable tour sheet (WeasyPrint).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 libpango-1.0-0 libpangoft2-1.0-0 \
       fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 10001 stadtspur \
    && mkdir -p /data/media && chown stadtspur /data/media
WORKDIR /app
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY app ./app
COPY geo ./geo
# Editable, so the app finds templates/, static/ and migrations/ next to it in /app.
RUN pip install -e .
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY --from=assets /src/node_modules ./node_modules
RUN python -m app.devtools.vendor && rm -rf node_modules \
    && pybabel compile -d app/translations -f
USER stadtspur
EXPOSE 8000
# Migrations first (idempotent), then the app; workers scale with CPUs via WEB_CONCURRENCY.
CMD ["sh", "-c", "flask --app app db upgrade && exec gunicorn --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --threads 4 --forwarded-allow-ips='*' --access-logfile - 'app:create_app()'"]
