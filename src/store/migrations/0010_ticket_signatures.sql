-- A ticket's code is signed once, when it is issued or re-issued, and its signature kept:
-- Ed25519 is deterministic, so the stored signature is exactly what signing again would
-- give. Lists, QR codes and PDFs read it instead of signing on every read, and the gate
-- compares it instead of checking the signature. Tickets issued without their codes
-- shown (`order create -q`) and tickets from before this version have none yet: the first
-- command that needs their codes signs and stores them, found through the partial index.
-- Standard base64 of the 64 signature bytes.
ALTER TABLE tickets ADD COLUMN signature TEXT CHECK (signature IS NULL OR length(signature) = 88);
CREATE INDEX tickets_unsigned ON tickets (event_id, order_id) WHERE signature IS NULL;
