"""On PostgreSQL, refuse UPDATE and DELETE on the audit trail (TRUNCATE stays possible:
test teardown and a deliberate archive-and-reset by the DBA use it)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION tinhso_audit_append_only() RETURNS trigger AS $$
BEGIN
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

REVERSE = """
DROP TRIGGER IF EXISTS audit_auditentry_no_update ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_auditentry_no_delete ON audit_auditentry;
DROP FUNCTION IF EXISTS tinhso_audit_append_only();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REVERSE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
