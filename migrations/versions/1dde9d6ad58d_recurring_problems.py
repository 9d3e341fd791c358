"""Recurring problems: topics raised from clusters of cases, and the cases of each

Revision ID: 1dde9d6ad58d
Revises: 33944acbc804
Create Date: 2026-12-06 11:22:46.782156

New tables only, empty until the next nightly look (flask portal recurring) raises the topics it finds.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = '1dde9d6ad58d'
down_revision = '33944acbc804'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('topic',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reach', sa.Enum('building', 'compound', 'community', name='reach', native_enum=False, length=20), nullable=False),
    sa.Column('category', sa.Enum('repair', 'utilities', 'lift', 'sanitation', 'greenery', 'security', 'parking', 'neighbour_dispute', 'noise', 'maintenance_fund', 'renovation', 'fees', 'compound_rules', 'other', name='category', native_enum=False, length=30), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('months', sa.String(length=100), nullable=False),
    sa.Column('state', sa.Enum('raised', 'on_agenda', 'sent', 'closed', name='topicstate', native_enum=False, length=20), nullable=False),
    sa.Column('raised_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_note', sa.Text(), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('closed_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_topic_building_id_building')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['person.id'], name=op.f('fk_topic_closed_by_id_person')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_topic_community_id_community')),
    sa.ForeignKeyConstraint(['compound_id'], ['compound.id'], name=op.f('fk_topic_compound_id_compound')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], name=op.f('fk_topic_consultation_id_consultation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topic'))
    )
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.create_index('ix_topic_community_state', ['community_id', 'state'], unique=False)
        batch_op.create_index('ix_topic_compound_state', ['compound_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_topic_consultation_id'), ['consultation_id'], unique=False)

    op.create_table('topic_case',
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_topic_case_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topic.id'], name=op.f('fk_topic_case_topic_id_topic'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('topic_id', 'case_id', name=op.f('pk_topic_case'))
    )
    with op.batch_alter_table('topic_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_case_case_id'), ['case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('topic_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_case_case_id'))

    op.drop_table('topic_case')
    with op.batch_alter_table('topic', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_consultation_id'))
        batch_op.drop_index('ix_topic_compound_state')
        batch_op.drop_index('ix_topic_community_state')

    op.drop_table('topic')
