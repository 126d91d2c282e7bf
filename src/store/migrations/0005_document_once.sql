-- 0005 — a new document (edXML BussinessDocType 0) is delivered once per sender, recipient and DocumentId
-- (Decree 30/2020 Appendix VI: a second one is a duplicate submission, whatever its bytes). Receipt used to
-- decide this under an advisory lock with a lookup before inserting (three round trips per package on the
-- exchange's hot path); the index makes the database decide it, for every process, inside the INSERT itself.
-- Rejected packages are kept as evidence and do not count.
CREATE UNIQUE INDEX messages_document_once ON messages (from_agency, to_agency, document_id)
  WHERE kind = 'edoc' AND business_type = 0 AND status <> 'rejected';
