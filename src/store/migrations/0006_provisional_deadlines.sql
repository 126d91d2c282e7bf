-- 0006 — deadlines computed on a provisional working calendar (a year whose official Bộ Nội vụ schedule is not
-- entered yet; the table is derived from Labour Code Art. 111–112 and the lunar calendar). Such a deadline is
-- shown as provisional (tạm tính) and recomputed from received_at once the official table of every year it
-- depended on exists; the maintenance pass finds those cases through the partial index.
ALTER TABLE pakn_cases ADD COLUMN answer_due_provisional boolean NOT NULL DEFAULT false;
ALTER TABLE pakn_cases ADD COLUMN transfer_due_provisional boolean NOT NULL DEFAULT false;
-- The years whose provisional tables either deadline was computed with; empty once both are final.
ALTER TABLE pakn_cases ADD COLUMN provisional_calendar_years integer[] NOT NULL DEFAULT '{}';
CREATE INDEX pakn_cases_provisional_deadlines ON pakn_cases (received_at) WHERE cardinality(provisional_calendar_years) > 0;
