-- 0003 — two-phase signing sessions (issue 6): the service prepares a document, the clerk signs the data with a
-- key that never leaves the clerk (a USB token, a PKCS#12 opened in the browser), the service completes it.
-- A session belongs to the agency of the API key that started it, expires, and is completed at most once: the
-- state moves open → completing → completed with conditional UPDATEs, so two completions racing on any number
-- of instances cannot both embed a signature. A rejected signature value puts it back to open (retry until
-- it expires). The prepared bytes (PDF with its placeholder, or the XML as uploaded) and the signed result are
-- blobs; `meta` is the JSON state of src/signing/two-phase (algorithm, signed attributes, byte range...).
CREATE TABLE signing_sessions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  agency_id      varchar(35) NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  api_key_id     text NOT NULL,
  format         text NOT NULL CHECK (format IN ('pdf', 'xml')),
  level          text NOT NULL CHECK (level IN ('B-B', 'B-T', 'B-LT', 'B-LTA')),
  state          text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'completing', 'completed')),
  file_name      text,
  document_blob  text NOT NULL REFERENCES blobs (sha256),   -- the document as uploaded
  prepared_blob  text NOT NULL REFERENCES blobs (sha256),   -- PDF: with the update and placeholder; XML: as uploaded
  signed_blob    text REFERENCES blobs (sha256),
  certificate    bytea NOT NULL,
  meta           jsonb NOT NULL,
  verification   jsonb,                                      -- the validation report of the signed document
  attempts       integer NOT NULL DEFAULT 0,                 -- rejected signature values so far
  expires_at     timestamptz NOT NULL,
  completing_at  timestamptz,                                -- when the running completion took the session
  completed_at   timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CHECK (state <> 'completed' OR (signed_blob IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX signing_sessions_agency ON signing_sessions (agency_id, created_at DESC);
CREATE INDEX signing_sessions_open_expiry ON signing_sessions (expires_at) WHERE state <> 'completed';
