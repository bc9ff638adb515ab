-- Conversations (issue 17): each turn's audit row names its conversation. Hashed only when set
-- (assistant/ops/audit.py LATER_FIELDS), so the rows written before this column keep their hash.
ALTER TABLE audit ADD COLUMN conversation_id TEXT;
