"""A resolution's signing deadline

Revision ID: 5ce7aec7ef45
Revises: 444d6caa6b9a
Create Date: 2026-12-06 02:00:38.314803

A resolution is to be signed by the three parties within PORTAL_RESOLUTION_SIGN_DAYS working
days of its drafting; past that, the sweep lets it lapse and sends its case back to work.
Resolutions drafted before this revision keep no deadline (NULL) and never lapse by
themselves: their secretary concludes or cancels the consultation as before.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = '5ce7aec7ef45'
down_revision = '444d6caa6b9a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('resolution', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_by', portal.clock.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('resolution', schema=None) as batch_op:
        batch_op.drop_column('sign_by')

