# Image for the Pulse API and workers (docker-compose.yml runs it twice: `npm run api`, `npm run worker`).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
USER node
EXPOSE 8000
CMD ["npm", "run", "api"]
