"""On PostgreSQL, the append-only guard for the sealed chain.

DELETE is refused. UPDATE is refused except the one sealing update: a row not yet sealed
(OLD.hash IS NULL) gets its chain fields (seq, prev_hash, hash, all non-NULL) and every
content column stays identical. TRUNCATE stays possible (test teardown; a deliberate
archive-and-reset by the DBA). Reversing restores the 0002 guard (no UPDATE at all).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION tinhso_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.hash IS NULL
       AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND (NEW.id, NEW.created_at, NEW.actor_id, NEW.actor_name, NEW.action,
            NEW.object_type, NEW.object_id, NEW.object_repr, NEW.agency_id, NEW.summary,
            NEW.ip, NEW.content_hash)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.created_at, OLD.actor_id, OLD.actor_name, OLD.action,
            OLD.object_type, OLD.object_id, OLD.object_repr, OLD.agency_id, OLD.summary,
            OLD.ip, OLD.content_hash)
    THEN
        RETURN NEW;  -- sealing: only the chain fields of an unsealed row change
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused (nhật ký hệ thống chỉ được ghi thêm, không được sửa hoặc xóa)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS audit_auditentry_no_update ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_auditentry_no_delete ON audit_auditentry;
CREATE TRIGGER audit_auditentry_no_update BEFORE UPDATE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION tinhso_audit_append_only();
CREATE TRIGGER audit_auditentry_no_delete BEFORE DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION tinhso_audit_append_only();
"""

# Back to the 0002 guard: every UPDATE and DELETE refused.
REVERSE = """
CREATE OR REPLACE FUNCTION tinhso_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused (nhật ký hệ thống chỉ được ghi thêm, không được sửa hoặc xóa)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_unsealed_entries")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
