-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "ProviderKind" AS ENUM ('OPENAI', 'ANTHROPIC', 'GEMINI', 'OPENROUTER', 'OPENAI_COMPATIBLE');

-- CreateEnum
CREATE TYPE "KeyState" AS ENUM ('ACTIVE', 'RETIRED', 'REVOKED');

-- CreateEnum
CREATE TYPE "PrincipalKind" AS ENUM ('USER', 'TAGGED', 'DEV');

-- CreateEnum
CREATE TYPE "QuotaWindow" AS ENUM ('MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH');

-- CreateTable
CREATE TABLE "providers" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "ProviderKind" NOT NULL,
    "base_url" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "providers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_keys" (
    "id" UUID NOT NULL,
    "provider_id" UUID NOT NULL,
    "ciphertext" BYTEA NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "last4" TEXT NOT NULL,
    "state" "KeyState" NOT NULL DEFAULT 'ACTIVE',
    "source" TEXT NOT NULL DEFAULT 'api',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retired_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "provider_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "model_routes" (
    "id" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "provider_id" UUID NOT NULL,
    "upstream_model" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "model_routes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "price_overrides" (
    "model" TEXT NOT NULL,
    "input_per_mtok" BIGINT NOT NULL,
    "output_per_mtok" BIGINT NOT NULL,
    "cached_input_per_mtok" BIGINT,
    "cache_write_per_mtok" BIGINT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "price_overrides_pkey" PRIMARY KEY ("model")
);

-- CreateTable
CREATE TABLE "principals" (
    "id" TEXT NOT NULL,
    "kind" "PrincipalKind" NOT NULL,
    "login" TEXT,
    "tags" TEXT[],
    "display_name" TEXT,
    "node_name" TEXT,
    "first_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "principals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "quotas" (
    "id" UUID NOT NULL,
    "subject" TEXT NOT NULL,
    "shared" BOOLEAN NOT NULL DEFAULT false,
    "window" "QuotaWindow" NOT NULL,
    "max_requests" INTEGER,
    "max_tokens" BIGINT,
    "max_cost_micros" BIGINT,
    "models" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "quotas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "quota_usage" (
    "quota_id" UUID NOT NULL,
    "holder" TEXT NOT NULL,
    "window_start" TIMESTAMPTZ(3) NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "tokens" BIGINT NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "leased_requests" INTEGER NOT NULL DEFAULT 0,
    "leased_tokens" BIGINT NOT NULL DEFAULT 0,
    "leased_cost_micros" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "quota_usage_pkey" PRIMARY KEY ("quota_id","holder","window_start")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "principal_id" TEXT NOT NULL,
    "client" TEXT NOT NULL,
    "client_session_id" TEXT,
    "models" TEXT[],
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_input_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "requests" (
    "seq" BIGSERIAL NOT NULL,
    "id" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "principal_id" TEXT NOT NULL,
    "node_name" TEXT,
    "client" TEXT NOT NULL,
    "user_agent" TEXT,
    "session_id" TEXT,
    "provider" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "upstream_model" TEXT,
    "endpoint" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "stream" BOOLEAN NOT NULL,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_input_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "usage_known" BOOLEAN NOT NULL DEFAULT true,
    "cost_micros" BIGINT,
    "latency_ms" INTEGER NOT NULL,
    "ttfb_ms" INTEGER,
    "error_class" TEXT,
    "tool_calls" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "requests_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "tool_calls" (
    "seq" BIGSERIAL NOT NULL,
    "request_id" UUID NOT NULL,
    "session_id" TEXT,
    "principal_id" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "tool" TEXT NOT NULL,
    "calls" INTEGER NOT NULL,

    CONSTRAINT "tool_calls_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "usage_daily" (
    "day" DATE NOT NULL,
    "principal_id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "client" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "input_tokens" BIGINT NOT NULL DEFAULT 0,
    "output_tokens" BIGINT NOT NULL DEFAULT 0,
    "cached_input_tokens" BIGINT NOT NULL DEFAULT 0,
    "cache_write_tokens" BIGINT NOT NULL DEFAULT 0,
    "reasoning_tokens" BIGINT NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "usage_daily_pkey" PRIMARY KEY ("day","principal_id","model","provider","client")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "seq" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "detail" TEXT,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "export_cursors" (
    "kind" TEXT NOT NULL,
    "last_seq" BIGINT NOT NULL DEFAULT 0,
    "last_at" TIMESTAMPTZ(3),
    "last_error" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "export_cursors_pkey" PRIMARY KEY ("kind")
);

-- CreateIndex
CREATE UNIQUE INDEX "providers_name_key" ON "providers"("name");

-- CreateIndex
CREATE INDEX "provider_keys_provider_id_state_idx" ON "provider_keys"("provider_id", "state");

-- CreateIndex
CREATE UNIQUE INDEX "model_routes_model_key" ON "model_routes"("model");

-- CreateIndex
CREATE INDEX "sessions_principal_id_last_seen_at_idx" ON "sessions"("principal_id", "last_seen_at");

-- CreateIndex
CREATE INDEX "sessions_last_seen_at_idx" ON "sessions"("last_seen_at");

-- CreateIndex
CREATE UNIQUE INDEX "requests_id_key" ON "requests"("id");

-- CreateIndex
CREATE INDEX "requests_at_idx" ON "requests"("at");

-- CreateIndex
CREATE INDEX "requests_principal_id_at_idx" ON "requests"("principal_id", "at");

-- CreateIndex
CREATE INDEX "requests_model_at_idx" ON "requests"("model", "at");

-- CreateIndex
CREATE INDEX "requests_session_id_at_idx" ON "requests"("session_id", "at");

-- CreateIndex
CREATE INDEX "tool_calls_at_tool_idx" ON "tool_calls"("at", "tool");

-- CreateIndex
CREATE INDEX "tool_calls_session_id_idx" ON "tool_calls"("session_id");

-- CreateIndex
CREATE INDEX "tool_calls_request_id_idx" ON "tool_calls"("request_id");

-- CreateIndex
CREATE INDEX "usage_daily_day_idx" ON "usage_daily"("day");

-- CreateIndex
CREATE INDEX "audit_events_at_idx" ON "audit_events"("at");

-- AddForeignKey
ALTER TABLE "provider_keys" ADD CONSTRAINT "provider_keys_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "model_routes" ADD CONSTRAINT "model_routes_provider_id_fkey" FOREIGN KEY ("provider_id") REFERENCES "providers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "quota_usage" ADD CONSTRAINT "quota_usage_quota_id_fkey" FOREIGN KEY ("quota_id") REFERENCES "quotas"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: gateways keep an in-memory snapshot of providers, keys, routes, quotas and prices;
-- a change notifies every process listening on `tailgate_config` so it reloads within moments.
CREATE OR REPLACE FUNCTION tailgate_notify_config() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('tailgate_config', TG_TABLE_NAME);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER providers_notify AFTER INSERT OR UPDATE OR DELETE ON "providers" FOR EACH STATEMENT EXECUTE FUNCTION tailgate_notify_config();
CREATE TRIGGER provider_keys_notify AFTER INSERT OR UPDATE OR DELETE ON "provider_keys" FOR EACH STATEMENT EXECUTE FUNCTION tailgate_notify_config();
CREATE TRIGGER model_routes_notify AFTER INSERT OR UPDATE OR DELETE ON "model_routes" FOR EACH STATEMENT EXECUTE FUNCTION tailgate_notify_config();
CREATE TRIGGER quotas_notify AFTER INSERT OR UPDATE OR DELETE ON "quotas" FOR EACH STATEMENT EXECUTE FUNCTION tailgate_notify_config();
CREATE TRIGGER price_overrides_notify AFTER INSERT OR UPDATE OR DELETE ON "price_overrides" FOR EACH STATEMENT EXECUTE FUNCTION tailgate_notify_config();
