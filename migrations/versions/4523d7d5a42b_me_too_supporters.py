"""Me too: residents who follow an open case instead of reporting it again

Revision ID: 4523d7d5a42b
Revises: fefdbff79d69
Create Date: 2026-12-06 06:29:24.158780

While filing, a resident shown an open case about the same problem may follow it instead: a
row per resident and case (signed in: their account, once per case; a visitor: the hash of a
follow key of their own). A new table: nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = '4523d7d5a42b'
down_revision = 'fefdbff79d69'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supporter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('key_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_supporter_case_id_case')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_supporter_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supporter')),
    sa.UniqueConstraint('case_id', 'person_id', name=op.f('uq_supporter_case_id_person_id'))
    )
    with op.batch_alter_table('supporter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supporter_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supporter_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('supporter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supporter_person_id'))
        batch_op.drop_index(batch_op.f('ix_supporter_case_id'))

    op.drop_table('supporter')
