-- Hand-written: the ledger stamps provider_keys.last_used_at on every batch it writes. With the
-- trigger firing on any UPDATE, each stamp told every gateway to reload its config snapshot several
-- times a second under load (found by the benchmark's profile). Only changes that alter what a
-- gateway serves notify now; an UPDATE that sets last_used_at alone does not.
DROP TRIGGER IF EXISTS provider_keys_notify ON "provider_keys";
CREATE TRIGGER provider_keys_notify_change AFTER INSERT OR DELETE ON "provider_keys" FOR EACH STATEMENT EXECUTE FUNCTION tailgate_notify_config();
CREATE TRIGGER provider_keys_notify_update AFTER UPDATE OF "id", "provider_id", "ciphertext", "fingerprint", "last4", "state", "source", "created_at", "retired_at", "revoked_at" ON "provider_keys" FOR EACH STATEMENT EXECUTE FUNCTION tailgate_notify_config();
