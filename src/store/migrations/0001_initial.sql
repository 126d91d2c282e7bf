-- 0001 — the exchange backbone's first tables (issue 5): content-addressed blobs, the agency registry with
-- its certificates and API keys, exchanged messages, and the hash-chained audit trail with its seals.
-- Runs on PostgreSQL 15+ and on PGlite (PostgreSQL 18): nothing version-specific beyond PostgreSQL 13.

-- Documents and packages, stored once, keyed by the SHA-256 of their bytes (lowercase hex). The bytes are in
-- `bytes` (storage 'db', PostgreSQL servers) or in a file named by the hash under the blob directory
-- (storage 'file', PGlite: a 10 MB bytea costs seconds in wasm). See src/store/blob-store.ts.
CREATE TABLE blobs (
  sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size        bigint NOT NULL CHECK (size >= 0),
  media_type  text NOT NULL,
  storage     text NOT NULL CHECK (storage IN ('db', 'file')),
  bytes       bytea,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((storage = 'db') = (bytes IS NOT NULL))
);
-- PDFs and signed packages are already compressed: skip TOAST's compression attempt, store out of line.
ALTER TABLE blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- Agencies by mã định danh (QCVN 102:2016 `000.00.00.G22` or QĐ 20/2020 codes: up to 35 of . 0-9 A-Z).
CREATE TABLE agencies (
  id             varchar(35) PRIMARY KEY CHECK (id ~ '^[0-9A-Z][0-9A-Z.-]*$'),
  name           text NOT NULL,
  delivery_mode  text NOT NULL CHECK (delivery_mode IN ('pull', 'push')),
  webhook_url    text CHECK (webhook_url IS NULL OR webhook_url ~ '^https?://'),
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (delivery_mode = 'pull' OR webhook_url IS NOT NULL)
);

-- Certificates accepted as an agency's: a package is accepted only if its signer's certificate is bound to the
-- sending agency. A certificate belongs to at most one agency (the primary key), so "whose is this
-- certificate?" has one answer.
CREATE TABLE agency_certificates (
  cert_sha256  text PRIMARY KEY CHECK (cert_sha256 ~ '^[0-9a-f]{64}$'),
  agency_id    varchar(35) NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  der          bytea NOT NULL,
  subject      text NOT NULL,
  not_after    timestamptz NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agency_certificates_agency ON agency_certificates (agency_id);

-- API credentials. The key shown once to its holder is `kyso_<id>_<secret>`; only SHA-256(secret) is kept
-- (the secret is 32 random bytes, so a slow password hash would add nothing but CPU per request; see
-- src/store/api-key.ts). Admin keys may have no agency; agency and VPCP keys act for one.
CREATE TABLE api_keys (
  id          text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
  agency_id   varchar(35) REFERENCES agencies (id) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('agency', 'vpcp', 'admin')),
  key_hash    text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  CHECK (role = 'admin' OR agency_id IS NOT NULL)
);
CREATE INDEX api_keys_agency ON api_keys (agency_id);

-- Every package and status packet that crosses kyso. The idempotency key is unique per sender: a resend or
-- redelivery finds the existing row instead of creating a second message, and one agency cannot occupy (or
-- read back) a key another agency will use.
CREATE TABLE messages (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
  kind             text NOT NULL CHECK (kind IN ('edoc', 'status')),
  from_agency      varchar(35) NOT NULL REFERENCES agencies (id),
  to_agency        varchar(35) NOT NULL REFERENCES agencies (id),
  document_id      text,
  package_blob     text NOT NULL REFERENCES blobs (sha256),
  status           text NOT NULL CHECK (status IN ('received', 'rejected', 'queued', 'delivered', 'acknowledged', 'dead')),
  status_reason    text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT messages_idempotency UNIQUE (from_agency, idempotency_key)
);
CREATE INDEX messages_inbox ON messages (to_agency, status, created_at);
CREATE INDEX messages_document ON messages (document_id) WHERE document_id IS NOT NULL;
CREATE INDEX messages_package ON messages (package_blob);

-- The audit trail: one chain, seq 1, 2, 3… without gaps (assigned under the audit_head row lock, not by a
-- sequence, which would leave gaps on rollback that look like deleted entries). hash = SHA-256 of the
-- canonical JSON of the entry including prev_hash; the first entry's prev_hash is 64 zeros.
-- src/exchange/audit/audit-log.ts.
CREATE TABLE audit_log (
  seq              bigint PRIMARY KEY CHECK (seq >= 1),
  at               timestamptz NOT NULL,
  actor            text NOT NULL,
  action           text NOT NULL,
  subject          text NOT NULL,
  document_sha256  text CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
  details          jsonb NOT NULL,
  prev_hash        text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash             text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$')
);
CREATE INDEX audit_log_subject ON audit_log (subject);
CREATE INDEX audit_log_document ON audit_log (document_sha256) WHERE document_sha256 IS NOT NULL;

-- The chain head, one row. Appenders lock it (SELECT … FOR UPDATE) so two appends can never both extend the
-- same entry; verification compares it with the last entry, which reveals deleted newest entries.
CREATE TABLE audit_head (
  id    smallint PRIMARY KEY CHECK (id = 1),
  seq   bigint NOT NULL,
  hash  text NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, repeat('0', 64));

-- The application never updates or deletes audit entries; the trigger makes a mistake loud. It is no
-- security boundary (the table owner can disable it) — the hash chain and the seals are.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = '55000';
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- RFC 3161 timestamps over the chain head: proof that entries 1..head_seq existed, unchanged, at gen_time.
CREATE TABLE audit_seals (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  head_seq   bigint NOT NULL CHECK (head_seq >= 1),
  head_hash  text NOT NULL CHECK (head_hash ~ '^[0-9a-f]{64}$'),
  gen_time   timestamptz NOT NULL,
  tsa_url    text NOT NULL,
  serial     text NOT NULL,
  token      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_seals_head ON audit_seals (head_seq);
