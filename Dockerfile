FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json openapi.yaml ./
COPY migrations ./migrations
COPY src ./src
EXPOSE 3000
USER node
CMD ["npx", "tsx", "src/server.ts"]
