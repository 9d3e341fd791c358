"""Open escalated cases: a partial index an overseer's count reads

Revision ID: 33944acbc804
Revises: 3035bbd6a11b
Create Date: 2026-12-06 09:37:00

An overseer's count of the escalated cases still open (their desk, the escalated list) read
every escalated case a city ever had to keep the few still open; this partial index holds only
those, by compound. No table changes.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '33944acbc804'
down_revision = '3035bbd6a11b'
branch_labels = None
depends_on = None

OPEN_ESCALATED = sa.text(
    "escalation_level > 0 AND state IN ('accepted', 'consulting', 'filed', 'in_progress', "
    "'waiting')"
)


def upgrade():
    op.create_index(
        'ix_case_open_escalated',
        'case',
        ['compound_id', 'escalation_level'],
        sqlite_where=OPEN_ESCALATED,
        postgresql_where=OPEN_ESCALATED,
    )


def downgrade():
    op.drop_index('ix_case_open_escalated', 'case')
