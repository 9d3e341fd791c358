"""Phone codes, notification channels, cases kept for the record and anonymised

Revision ID: 0ca09f95cbe5
Revises: 8709bcbfd2e1
Create Date: 2026-12-04 20:16:38.564241

A sign-up now proves its phone with a texted code before the account exists, and a forgotten
password is reset by one: `phone_code` keeps each code as a keyed hash, with the sign-up's
details waiting beside it. People choose the channels they are told on (both on, as before).
An overseer may keep a case for the record; a case whose reporter's details were removed (the
reporter deleted their account, or the retention period passed) says when, and the sweep finds
the finished cases still to do by state, that time and the last change. Existing rows keep
their meaning: every person keeps both channels, no case is kept or anonymised.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = '0ca09f95cbe5'
down_revision = '8709bcbfd2e1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('phone_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_code'))
    )
    with op.batch_alter_table('phone_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_phone_code_phone'), ['phone'], unique=False)

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retained', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('anonymised_at', portal.clock.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_case_state_anonymised_updated', ['state', 'anonymised_at', 'updated_at'], unique=False)

    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_by_text', sa.Boolean(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('notify_by_email', sa.Boolean(), server_default='1', nullable=False))



def downgrade():
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('notify_by_email')
        batch_op.drop_column('notify_by_text')

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_state_anonymised_updated')
        batch_op.drop_column('anonymised_at')
        batch_op.drop_column('retained')

    with op.batch_alter_table('phone_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_phone_code_phone'))

    op.drop_table('phone_code')
