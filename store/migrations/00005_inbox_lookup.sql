-- +goose Up
-- The reviewer inbox and the public lookup.
--
-- search_name: the applicant's name lowercased, without diacritics (đ → d)
-- and with runs of spaces collapsed, so "nguyen van a" finds "Nguyễn Văn A".
-- The API fills it at submission (Go, golang.org/x/text/unicode/norm);
-- motcua_search_name is the same rule in SQL for precomposed (NFC) text,
-- used here to backfill existing rows.
--
-- due_at: the current step's due time, copied from current_step by a
-- trigger so the inbox can sort and filter on an indexed column whoever
-- writes current_step. The same trigger fills search_name for a row
-- inserted without one (bulk loads with COPY) and keeps it in step when
-- the applicant changes.
--
-- lookup_key_hash: SHA-256 of the key the applicant got once at submission
-- to look the dossier up publicly; the key itself is never stored.

-- +goose StatementBegin
CREATE FUNCTION motcua_search_name(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT btrim(regexp_replace(lower(translate(s,
        'àÀáÁảẢãÃạẠăĂằẰắẮẳẲẵẴặẶâÂầẦấẤẩẨẫẪậẬèÈéÉẻẺẽẼẹẸêÊềỀếẾểỂễỄệỆìÌíÍỉỈĩĨịỊòÒóÓỏỎõÕọỌôÔồỒốỐổỔỗỖộỘơƠờỜớỚởỞỡỠợỢùÙúÚủỦũŨụỤưƯừỪứỨửỬữỮựỰỳỲýÝỷỶỹỸỵỴđĐ',
        'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaeeeeeeeeeeeeeeeeeeeeeeiiiiiiiiiioooooooooooooooooooooooooooooooooouuuuuuuuuuuuuuuuuuuuuuyyyyyyyyyydd')), '\s+', ' ', 'g'))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION motcua_dossier_derived() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.due_at := (NEW.current_step ->> 'due_at')::timestamptz;
    IF TG_OP = 'INSERT' THEN
        IF NEW.search_name = '' THEN
            NEW.search_name := motcua_search_name(coalesce(NEW.applicant ->> 'full_name', ''));
        END IF;
    ELSIF NEW.applicant IS DISTINCT FROM OLD.applicant THEN
        NEW.search_name := motcua_search_name(coalesce(NEW.applicant ->> 'full_name', ''));
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

ALTER TABLE dossiers
    ADD COLUMN search_name     text NOT NULL DEFAULT '',
    ADD COLUMN due_at          timestamptz,
    ADD COLUMN lookup_key_hash bytea;

UPDATE dossiers SET
    search_name = motcua_search_name(applicant ->> 'full_name'),
    due_at = (current_step ->> 'due_at')::timestamptz;

CREATE TRIGGER dossiers_derived BEFORE INSERT OR UPDATE OF current_step, applicant ON dossiers
    FOR EACH ROW EXECUTE FUNCTION motcua_dossier_derived();

-- The inbox sorts by (due_at, code), nulls last, under its main filters.
CREATE INDEX dossiers_inbox_due ON dossiers (due_at, code);
CREATE INDEX dossiers_inbox_status_due ON dossiers (status, due_at, code);
CREATE INDEX dossiers_inbox_stage_due ON dossiers (stage, due_at, code);
CREATE INDEX dossiers_inbox_agency_due ON dossiers (agency_code, due_at, code);
CREATE INDEX dossiers_inbox_overdue_due ON dossiers (due_at, code) WHERE overdue;
CREATE INDEX dossiers_inbox_departments ON dossiers USING gin ((current_step -> 'departments') jsonb_path_ops);
CREATE INDEX dossiers_code_prefix ON dossiers (code text_pattern_ops);

-- +goose Down
DROP INDEX dossiers_code_prefix;
DROP INDEX dossiers_inbox_departments;
DROP INDEX dossiers_inbox_overdue_due;
DROP INDEX dossiers_inbox_agency_due;
DROP INDEX dossiers_inbox_stage_due;
DROP INDEX dossiers_inbox_status_due;
DROP INDEX dossiers_inbox_due;
DROP TRIGGER dossiers_derived ON dossiers;
ALTER TABLE dossiers
    DROP COLUMN lookup_key_hash,
    DROP COLUMN due_at,
    DROP COLUMN search_name;
DROP FUNCTION motcua_dossier_derived();
DROP FUNCTION motcua_search_name(text);
