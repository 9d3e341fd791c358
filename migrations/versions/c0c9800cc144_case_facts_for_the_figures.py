"""Case facts for the figures: one row per case, kept with every event

Revision ID: c0c9800cc144
Revises: 4523d7d5a42b
Create Date: 2026-12-06 08:03:09.911619

A new table, empty after the upgrade (and an index of resolutions by when they came into
effect, which the figures count): `flask portal facts-rebuild` works the facts of the
cases already filed out of their events (docs/operations.md); from then on every event keeps
its case's facts. Nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = 'c0c9800cc144'
down_revision = '4523d7d5a42b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('case_fact',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('repair', 'utilities', 'lift', 'sanitation', 'greenery', 'security', 'parking', 'neighbour_dispute', 'noise', 'maintenance_fund', 'renovation', 'fees', 'compound_rules', 'other', name='category', native_enum=False, length=30), nullable=False),
    sa.Column('lead_party', sa.Enum('branch', 'property', 'residents', name='partykind', native_enum=False, length=20), nullable=True),
    sa.Column('filed_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('triaged_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('triage_seconds', sa.Integer(), nullable=True),
    sa.Column('responded_on_time', sa.Boolean(), nullable=False),
    sa.Column('resolved_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolve_seconds', sa.Integer(), nullable=True),
    sa.Column('resolved_on_time', sa.Boolean(), nullable=True),
    sa.Column('reopened', sa.Boolean(), nullable=False),
    sa.Column('closed_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closure', sa.Enum('solved', 'no_feedback', name='closure', native_enum=False, length=20), nullable=True),
    sa.Column('visited', sa.Boolean(), nullable=False),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('satisfaction', sa.Enum('satisfied', 'basically', 'dissatisfied', name='satisfaction', native_enum=False, length=20), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], name=op.f('fk_case_fact_case_id_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['compound_id'], ['compound.id'], name=op.f('fk_case_fact_compound_id_compound')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_fact'))
    )
    # On PostgreSQL each index carries what its figures read (index-only scans).
    op.create_index(
        'ix_case_fact_compound_closed', 'case_fact', ['compound_id', 'closed_at'],
        postgresql_include=[
            'visited', 'responded_on_time', 'solved', 'satisfaction', 'resolved_on_time',
            'reopened', 'resolve_seconds', 'category', 'lead_party',
        ],
    )
    op.create_index(
        'ix_case_fact_compound_filed', 'case_fact', ['compound_id', 'filed_at'],
        postgresql_include=['category', 'lead_party'],
    )
    # The figures count the resolutions that came into effect in a period.
    op.create_index('ix_resolution_effective_at', 'resolution', ['effective_at'])
    op.create_index(
        'ix_case_fact_compound_triaged', 'case_fact', ['compound_id', 'triaged_at'],
        postgresql_include=['triage_seconds', 'category', 'lead_party'],
    )



def downgrade():
    op.drop_index('ix_resolution_effective_at', 'resolution')
    with op.batch_alter_table('case_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_case_fact_compound_triaged')
        batch_op.drop_index('ix_case_fact_compound_filed')
        batch_op.drop_index('ix_case_fact_compound_closed')

    op.drop_table('case_fact')
