-- 0002 — the PAKN flow on top of the exchange tables (issue 5): citizen cases and their state, what links a
-- message to a case, the keys the service signs with on an agency's behalf, the notification outbox and
-- HTTP idempotency records.

-- Agencies need their edXML Organization block (OrganizationInCharge, address, e-mail…) and a kind: exactly one
-- agency is the Government Office (VPCP), which receives citizens' cases and routes them.
ALTER TABLE agencies ADD COLUMN kind text NOT NULL DEFAULT 'agency' CHECK (kind IN ('vpcp', 'agency'));
ALTER TABLE agencies ADD COLUMN organization jsonb NOT NULL DEFAULT '{}'::jsonb;
CREATE UNIQUE INDEX agencies_one_vpcp ON agencies (kind) WHERE kind = 'vpcp';

-- Keys the service signs with for an agency: status packets and packages built by the service (the seal), the
-- routing letter (the competent person, then the seal). `key_ref` is a key reference, not a key: a PKCS#12 path
-- with the name of an environment variable holding its password, a PKCS#11 URI, a CSC credential (issue 6).
-- Demo mode stores certs-test PKCS#12 paths and their published test password.
CREATE TABLE agency_signing_keys (
  agency_id  varchar(35) NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  purpose    text NOT NULL CHECK (purpose IN ('seal', 'person')),
  key_ref    jsonb NOT NULL,
  signer     jsonb NOT NULL DEFAULT '{}'::jsonb,   -- Competence / Position / FullName for SignerInfo and letters
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (agency_id, purpose)
);

-- A citizen's or business's feedback (phản ánh, kiến nghị). `code` is public (printed on letters, typed into the
-- lookup page); the access key is a secret handed to the submitter once, kept only as SHA-256.
-- States follow pakn-process.md §4; overdue is derived (now > answer_due_at), not a state.
CREATE TABLE pakn_cases (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code                 text NOT NULL UNIQUE CHECK (code ~ '^PAKN-[0-9]{4}-[0-9A-Z]{6}$'),
  access_key_hash      text NOT NULL CHECK (access_key_hash ~ '^[0-9a-f]{64}$'),
  submitter            jsonb NOT NULL,
  title                text NOT NULL,
  content              text NOT NULL,
  attachments          jsonb NOT NULL DEFAULT '[]'::jsonb,   -- [{sha256, name, mediaType, size}]
  state                text NOT NULL CHECK (state IN ('RECEIVED', 'REJECTED_INVALID', 'CLASSIFIED', 'TRANSFERRED',
                         'ACCEPTED_BY_AGENCY', 'ASSIGNED', 'IN_PROGRESS', 'ANSWERED', 'RETURNED_FOR_REWORK',
                         'PUBLISHED', 'CLOSED')),
  state_reason         text,
  category             text,
  lead_agency          varchar(35) REFERENCES agencies (id),
  received_at          timestamptz NOT NULL,
  transfer_due_at      timestamptz NOT NULL,
  answer_due_at        timestamptz NOT NULL,
  last_progress_at     timestamptz,
  next_progress_due_at timestamptz,
  overdue_since        timestamptz,
  routing_message_id   uuid,
  routing_document_id  text,
  reply_message_id     uuid,
  answer_blob          text REFERENCES blobs (sha256),
  published_at         timestamptz,
  submission_key       text UNIQUE,   -- Idempotency-Key of the submission, so a retried POST finds this case
  version              integer NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pakn_cases_agency ON pakn_cases (lead_agency, state);
CREATE INDEX pakn_cases_open_due ON pakn_cases (answer_due_at) WHERE state NOT IN ('REJECTED_INVALID', 'PUBLISHED', 'CLOSED');
CREATE INDEX pakn_cases_routing_doc ON pakn_cases (routing_document_id) WHERE routing_document_id IS NOT NULL;

-- What a message is in the flow: the edXML business type of a document package (0 new, 1 recall, 2 update,
-- 3 replace), the status code of a status packet, the DocumentId it answers (ResponseFor), the case, and the
-- verification outcome at receipt.
ALTER TABLE messages ADD COLUMN case_id uuid REFERENCES pakn_cases (id);
ALTER TABLE messages ADD COLUMN business_type smallint CHECK (business_type BETWEEN 0 AND 3);
ALTER TABLE messages ADD COLUMN status_code text CHECK (status_code ~ '^[0-9]{2}$');
ALTER TABLE messages ADD COLUMN response_for text;
ALTER TABLE messages ADD COLUMN purpose text CHECK (purpose IN ('routing', 'reply', 'other'));
ALTER TABLE messages ADD COLUMN verification jsonb;
-- The header fields a status packet's ResponseFor repeats (OrganId, Code, PromulgationDate, DocumentId) and the
-- subject, so answering a message never needs its package parsed again.
ALTER TABLE messages ADD COLUMN header jsonb;
ALTER TABLE messages ADD COLUMN acknowledged_at timestamptz;
-- SHA-256 of the bytes as the sender sent them (package_blob may be the copy with the recipient's TraceHeader):
-- a resend under the same Idempotency-Key must be these very bytes.
ALTER TABLE messages ADD COLUMN received_sha256 text CHECK (received_sha256 ~ '^[0-9a-f]{64}$');
CREATE INDEX messages_case ON messages (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX messages_response_for ON messages (response_for) WHERE response_for IS NOT NULL;
CREATE INDEX messages_outbox ON messages (from_agency, created_at);

-- Notifications to deliver later (webhook / e-mail adapters): overdue reminders, progress requests. The
-- dedupe key makes the overdue scan idempotent: one reminder per case per period, however often it runs.
CREATE TABLE notifications (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dedupe_key   text NOT NULL UNIQUE,
  kind         text NOT NULL,
  agency_id    varchar(35) REFERENCES agencies (id),
  case_id      uuid REFERENCES pakn_cases (id),
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
CREATE INDEX notifications_undelivered ON notifications (created_at) WHERE delivered_at IS NULL;

-- HTTP idempotency (Idempotency-Key header) for API calls that create something: the first answer is replayed
-- for a repeat with the same body; a different body under the same key is a conflict.
CREATE TABLE idempotency_records (
  principal     text NOT NULL,
  key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  request_hash  text NOT NULL,
  status        integer NOT NULL,
  body          jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, key)
);

-- Số văn bản: documents are numbered per issuing agency and calendar year from 1 (Decree 30 Art. 15), e.g.
-- 125/VPCP-KSTT. One row per agency and year, incremented under its row lock.
CREATE TABLE document_numbers (
  agency_id  varchar(35) NOT NULL REFERENCES agencies (id) ON DELETE CASCADE,
  year       integer NOT NULL,
  last       integer NOT NULL DEFAULT 0,
  PRIMARY KEY (agency_id, year)
);
