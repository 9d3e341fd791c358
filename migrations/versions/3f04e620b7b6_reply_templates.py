"""Reply templates (常用回复)

Revision ID: 3f04e620b7b6
Revises: 76d75e2fdd35
Create Date: 2026-12-06 05:48:07.674960

The replies the case work writes often, kept by a compound's secretary or by a community's
overseers (exactly one owner, checked by the database), each for one category or for any. A new
table: nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = '3f04e620b7b6'
down_revision = '76d75e2fdd35'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reply_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.Enum('repair', 'utilities', 'lift', 'sanitation', 'greenery', 'security', 'parking', 'neighbour_dispute', 'noise', 'maintenance_fund', 'renovation', 'fees', 'compound_rules', 'other', name='category', native_enum=False, length=30), nullable=True),
    sa.Column('title', sa.String(length=50), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(compound_id IS NULL) <> (community_id IS NULL)', name=op.f('ck_reply_template_one_owner')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_reply_template_community_id_community')),
    sa.ForeignKeyConstraint(['compound_id'], ['compound.id'], name=op.f('fk_reply_template_compound_id_compound')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_reply_template_updated_by_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_template'))
    )
    with op.batch_alter_table('reply_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_template_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reply_template_compound_id'), ['compound_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reply_template', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_template_compound_id'))
        batch_op.drop_index(batch_op.f('ix_reply_template_community_id'))

    op.drop_table('reply_template')
