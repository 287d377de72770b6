# Stage 1: build the dashboard (web/ → web/dist); `npm ci` with devDependencies runs the prepare script.
FROM node:24-bookworm-slim AS web
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/build-web.mjs ./scripts/
COPY web ./web
RUN npm ci --no-audit --no-fund

# Stage 2: the server, with production dependencies only and the built dashboard.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json openapi.yaml ./
COPY migrations ./migrations
COPY src ./src
COPY --from=web /app/web/dist ./web/dist
EXPOSE 3000
USER node
CMD ["npx", "tsx", "src/server.ts"]
