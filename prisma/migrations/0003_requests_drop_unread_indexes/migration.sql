-- Every index on requests is paid on every proxied request (the ledger inserts one row per call),
-- and no query reads these two: usage by principal or model is answered from usage_daily, sessions
-- from requests(session_id, at), the SIEM export by seq. The benchmark's ledger measured PostgreSQL
-- at 12.3 µs of CPU per record with them and 10.2 µs without (bench/RESULTS.md).
-- DropIndex
DROP INDEX "requests_principal_id_at_idx";

-- DropIndex
DROP INDEX "requests_model_at_idx";
