"""报到: an escalated case is acknowledged at the level it reached

Revision ID: 76d75e2fdd35
Revises: 5ce7aec7ef45
Create Date: 2026-12-06 05:17:31.497749

An escalated case is to be acknowledged by an overseer at its level within
PORTAL_ACKNOWLEDGE_DAYS working days (acknowledge_due_at); who took charge and when, and when
the sweep reminded them. Two partial indexes hold only escalated cases: the unacknowledged ones
by deadline (the sweep) and all of them oldest first (the overseers' list). Cases escalated
before this revision have no acknowledgement deadline: the sweep leaves them alone, and the list
shows them as not acknowledged.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = '76d75e2fdd35'
down_revision = '5ce7aec7ef45'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acknowledge_due_at', portal.clock.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', portal.clock.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledge_reminded_at', portal.clock.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_case_acknowledge_due', ['acknowledge_due_at'], unique=False, sqlite_where=sa.text('acknowledge_due_at IS NOT NULL AND acknowledged_at IS NULL'), postgresql_where=sa.text('acknowledge_due_at IS NOT NULL AND acknowledged_at IS NULL'))
        batch_op.create_index('ix_case_escalated_oldest', ['escalated_at', 'id'], unique=False, sqlite_where=sa.text('escalation_level > 0'), postgresql_where=sa.text('escalation_level > 0'))
    # Who took charge, with its foreign key. SQLite adds a column's foreign key only inline (a
    # separate constraint would recreate the whole case table, which the rows that refer to it
    # forbid); PostgreSQL adds it as a constraint of its own.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE "case" ADD COLUMN acknowledged_by_id INTEGER '
            'CONSTRAINT fk_case_acknowledged_by_id_person REFERENCES person (id)'
        )
    else:
        op.add_column('case', sa.Column('acknowledged_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_case_acknowledged_by_id_person', 'case', 'person', ['acknowledged_by_id'], ['id'])


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_case_acknowledged_by_id_person', 'case', type_='foreignkey')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_escalated_oldest', sqlite_where=sa.text('escalation_level > 0'), postgresql_where=sa.text('escalation_level > 0'))
        batch_op.drop_index('ix_case_acknowledge_due', sqlite_where=sa.text('acknowledge_due_at IS NOT NULL AND acknowledged_at IS NULL'), postgresql_where=sa.text('acknowledge_due_at IS NOT NULL AND acknowledged_at IS NULL'))
        batch_op.drop_column('acknowledge_reminded_at')
        batch_op.drop_column('acknowledged_by_id')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('acknowledge_due_at')
