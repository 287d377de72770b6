# Stage 1: build the dashboard (web/ → web/dist; `npm ci` with devDependencies runs the prepare
# script) and the server (src/ → dist/, plain JavaScript: scripts/build-server.mjs).
FROM node:24-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/build-web.mjs scripts/build-server.mjs ./scripts/
COPY web ./web
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build

# Stage 2: the server, with production dependencies only, the compiled server and the built dashboard.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY openapi.yaml ./
COPY migrations ./migrations
COPY --from=web /app/dist ./dist
COPY --from=web /app/web/dist ./web/dist
EXPOSE 3000
USER node
CMD ["node", "dist/server.js"]
