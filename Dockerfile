# syntax=docker/dockerfile:1
# DataProcessor: build on the current Node LTS, run as an unprivileged user.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY config ./config
COPY migrations ./migrations
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    DP_DATA_ROOT=/home/mailbox \
    DP_LOG_DIR=/var/log/hview \
    DP_HTTP_PORT=25025 \
    DP_SMTP_PORT=25
# The seed's layout: data under /home/mailbox (inbox, tmp, archive), logs in /var/log/hview.
RUN groupadd --system mailbox && useradd --system --gid mailbox --home-dir /home/mailbox --no-create-home mailbox \
 && mkdir -p /home/mailbox /var/log/hview && chown mailbox:mailbox /home/mailbox /var/log/hview
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/package.json ./package.json
USER mailbox
VOLUME ["/home/mailbox", "/var/log/hview"]
# 25025: REST API (the seed's port). 25: SMTP (Docker lets unprivileged users bind low ports
# inside the container since 20.10; on older engines map 2525 instead).
EXPOSE 25025 25
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD node -e "fetch('http://127.0.0.1:'+(process.env.DP_HTTP_PORT||25025)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/dataprocessor.js"]
CMD ["serve"]
