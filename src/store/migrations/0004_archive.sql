-- 0004 — the archive (issue 7, Archive in the service): every published answer and every exchanged package is
-- kept at B-LTA, and re-timestamped before its newest timestamp's TSA certificate or digest weakens.
-- One row per archived document: the bytes as received (`original_sha256`) and the current archival form
-- (`archived_sha256`: the same signatures plus validation data and archive timestamps; NULL until the first
-- extension succeeds, e.g. while the TSA was unreachable).
CREATE TABLE archive_documents (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind                 text NOT NULL CHECK (kind IN ('answer', 'package')),
  format               text NOT NULL CHECK (format IN ('pdf', 'xml')),
  subject              text NOT NULL,          -- case code or message id
  original_sha256      text NOT NULL REFERENCES blobs (sha256),
  archived_sha256      text REFERENCES blobs (sha256),
  newest_timestamp_at  timestamptz,
  tsa_not_after        timestamptz,
  renewal_due_at       timestamptz NOT NULL,   -- when the job should (re)extend it
  attempts             integer NOT NULL DEFAULT 0,
  last_error           text,
  renewed_at           timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT archive_documents_once UNIQUE (kind, original_sha256)
);
CREATE INDEX archive_documents_due ON archive_documents (renewal_due_at);
