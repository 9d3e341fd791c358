"""escalation look-ups read only what they act on

Revision ID: 8f5d6468a2b6
Revises: 84110a83bb92
Create Date: 2026-12-02 10:28:23.978907

The sweep's second escalation asks for overdue cases escalated long enough ago. With
(state, escalation_level, due_at) it read every overdue escalated case and dropped the recent
ones by filter; escalated_at as a fourth column is checked in the index itself, and the same
index serves the first escalation, so (state, escalation_level, escalated_at) goes. No data
changes.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '8f5d6468a2b6'
down_revision = '84110a83bb92'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_state_level_due'))
        batch_op.drop_index(batch_op.f('ix_case_state_level_escalated'))
        batch_op.create_index('ix_case_state_level_due_escalated', ['state', 'escalation_level', 'due_at', 'escalated_at'], unique=False)


def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_state_level_due_escalated')
        batch_op.create_index(batch_op.f('ix_case_state_level_escalated'), ['state', 'escalation_level', 'escalated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_state_level_due'), ['state', 'escalation_level', 'due_at'], unique=False)
