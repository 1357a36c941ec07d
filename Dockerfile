# syntax=docker/dockerfile:1
# DataProcessor: build on the current Node LTS, run the compiled build as an unprivileged user.
# Not built on the development machines (no engine there): test/deploy/dockerfile.test.ts checks
# the lines below that matter; docs/operations.md, "Containers", says how to run it.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci runs `prepare` (scripts/build.mjs --if-possible), which skips: the sources come next.
COPY scripts ./scripts
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY config ./config
COPY migrations ./migrations
COPY src ./src
RUN npm run build

# Runtime packages only. The optional ones are embedded PostgreSQL (about 60 MB; the image runs
# against DATABASE_URL) and tsx (bin/dataprocessor.js runs dist/ when it exists, as here).
FROM build AS runtime-modules
RUN npm prune --omit=dev --omit=optional

FROM node:24-bookworm-slim
# tini as PID 1: forwards SIGTERM to node and reaps the helper shells node starts (the spool's
# `sync --file-system`), which a bare node as PID 1 would leave as zombies.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
# The image's own defaults (data in /home/mailbox, logs in /var/log/hview, the seed's layout) come
# from a config layer below the operator's file, never from DP_* variables: those would override
# /app/config.json. A config file mounted at /app/config.json is read without any setting.
ENV NODE_ENV=production \
    DP_CONFIG_BASE=/app/dist/config/container.json
# A fixed uid/gid, so that bind-mounted folders can be handed over: chown -R 10001:10001 <folder>.
RUN groupadd --system --gid 10001 mailbox \
 && useradd --system --uid 10001 --gid mailbox --home-dir /home/mailbox --no-create-home mailbox \
 && mkdir -p /home/mailbox /var/log/hview && chown mailbox:mailbox /home/mailbox /var/log/hview
WORKDIR /app
COPY --from=runtime-modules /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/package.json ./package.json
USER mailbox
VOLUME ["/home/mailbox", "/var/log/hview"]
# 25025: REST API (the seed's port). 2525: SMTP. Port 25 would need a privilege the non-root user
# lacks under host networking and in most Kubernetes set-ups: publish it instead (-p 25:2525).
EXPOSE 25025 2525
# /readyz, not /healthz: a container whose database is down or whose disk is full must not be
# reported healthy. The port is read through the same configuration as the service's.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["node", "-e", "import('./dist/src/config/load-config.js').then(({ loadConfig }) => fetch(`http://127.0.0.1:${loadConfig().http.port}/readyz`)).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# docker stop waits 10 s by default; the shutdown may take 3 × shutdown.graceSeconds (30): run
# with --stop-timeout 100 (compose: stop_grace_period: 100s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--", "node", "bin/dataprocessor.js"]
CMD ["serve"]
