"""The working calendar, and the response deadline

Revision ID: 444d6caa6b9a
Revises: fbde3a25bfec
Create Date: 2026-12-06 01:28:40.612601

Deadlines in days count working days on the Chinese calendar (portal.workdays): the years an
administrator imported or edited are kept in calendar_year with their holidays and adjusted
working days in calendar_day; calendar_warning remembers which missing years administrators
were told of. A case gains the response deadline (first contact with the resident) and when
it was met, and whether its deadline was counted in calendar days for want of a calendar.
Existing cases keep their deadlines, counted as before; their response stays unknown (NULL).
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = '444d6caa6b9a'
down_revision = 'fbde3a25bfec'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )
    op.create_table('calendar_warning',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('warned_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_warning'))
    )
    op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.Enum('imported', 'edited', name='yearsource', native_enum=False, length=20), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['person.id'], name=op.f('fk_calendar_year_updated_by_id_person')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year'))
    )
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_on_calendar_days', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('response_due_at', portal.clock.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('responded_at', portal.clock.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_column('responded_at')
        batch_op.drop_column('response_due_at')
        batch_op.drop_column('due_on_calendar_days')

    op.drop_table('calendar_year')
    op.drop_table('calendar_warning')
    op.drop_table('calendar_day')
