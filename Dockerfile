# syntax=docker/dockerfile:1
# The guard image: one image for every role in docker-compose.yml (migrate, api,
# worker, beat); the command picks the role (`guard <command>`).
#
# Two stages: the first installs the guard into a virtualenv from uv.lock (exact versions,
# hashes checked; every dependency ships wheels, so no compiler is needed even there); the
# final image gets that virtualenv and nothing that built it, and runs as an unprivileged user.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/guard \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
RUN pip install --no-compile "uv==${UV_VERSION}"
WORKDIR /src
# The locked dependencies first (this layer changes only with uv.lock), then the guard itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-editable --no-install-project
COPY guard ./guard
COPY worker ./worker
RUN uv sync --locked --no-editable

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/guard/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    GUARD_ENV=production \
    GUARD_LOG_FORMAT=json
# A CJK TrueType font: Chinese on labels (reportlab embeds TrueType outlines only).
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-zenhei \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 guard \
 && useradd --system --uid 10001 --gid guard --home-dir /var/lib/guard --create-home \
            --shell /usr/sbin/nologin guard
COPY --from=build /opt/guard /opt/guard
# Writable by the guard user: beat keeps its small schedule file here.
WORKDIR /var/lib/guard
USER 10001:10001
EXPOSE 8000
ENTRYPOINT ["guard"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
