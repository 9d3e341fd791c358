"""indexes that match the sweep, the queue's runs and my cases; merged_into_id indexed

Revision ID: 84110a83bb92
Revises: 1e325e52a5aa
Create Date: 2026-12-02 05:04:37.461238

Queue pages and "my cases" read one ordered range per state, the id breaking ties in the index;
each look-up of the sweep has an index that holds only what it may act on (the partial index
keeps the deadlines nobody has been reminded of); merged_into_id gets the index its foreign key
needs when a case is deleted. No data changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '84110a83bb92'
down_revision = '1e325e52a5aa'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_case_feedback_due_at'))
        batch_op.drop_index(batch_op.f('ix_case_state_due'))
        batch_op.drop_index(batch_op.f('ix_case_compound_state_due'))
        batch_op.create_index('ix_case_compound_state_due', ['compound_id', 'state', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_case_assignee_state_due', ['assignee_id', 'state', 'due_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_index('ix_case_state_due_unreminded', ['state', 'due_at'], unique=False, sqlite_where=sa.text('due_at IS NOT NULL AND (reminded_for IS NULL OR reminded_for <> due_at)'), postgresql_where=sa.text('due_at IS NOT NULL AND (reminded_for IS NULL OR reminded_for <> due_at)'))
        batch_op.create_index('ix_case_state_feedback_due', ['state', 'feedback_due_at'], unique=False)
        batch_op.create_index('ix_case_state_level_due', ['state', 'escalation_level', 'due_at'], unique=False)
        batch_op.create_index('ix_case_state_level_escalated', ['state', 'escalation_level', 'escalated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_state_level_escalated')
        batch_op.drop_index('ix_case_state_level_due')
        batch_op.drop_index('ix_case_state_feedback_due')
        batch_op.drop_index('ix_case_state_due_unreminded', sqlite_where=sa.text('due_at IS NOT NULL AND (reminded_for IS NULL OR reminded_for <> due_at)'), postgresql_where=sa.text('due_at IS NOT NULL AND (reminded_for IS NULL OR reminded_for <> due_at)'))
        batch_op.drop_index(batch_op.f('ix_case_merged_into_id'))
        batch_op.drop_index('ix_case_assignee_state_due')
        batch_op.drop_index('ix_case_compound_state_due')
        batch_op.create_index(batch_op.f('ix_case_compound_state_due'), ['compound_id', 'state', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_state_due'), ['state', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_feedback_due_at'), ['feedback_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_assignee_id'), ['assignee_id'], unique=False)
