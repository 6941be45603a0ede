# Touchstone image: one image for web (gunicorn), worker and beat.
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TOUCHSTONE_ENV=production TOUCHSTONE_VAR_DIR=/var/lib/touchstone
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir -e . && useradd --system --home /app touchstone && mkdir -p /var/lib/touchstone && chown touchstone /var/lib/touchstone
COPY . .
COPY --from=assets /src/node_modules ./node_modules
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build python manage.py collectstatic --noinput -v0
USER touchstone
EXPOSE 8000
CMD ["gunicorn", "crm_site.wsgi", "-c", "gunicorn.conf.py"]
