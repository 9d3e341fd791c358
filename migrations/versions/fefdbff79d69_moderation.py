"""Moderation: hiding a public text or photo from the public

Revision ID: fefdbff79d69
Revises: 3f04e620b7b6
Create Date: 2026-12-06 06:05:49.288925

The secretary or an overseer hides a case's description, a public event's text, a photo or a
notice from the public, with a reason the public reads instead: when, by whom and why, on each
of those rows. Nothing is hidden before this revision (all NULL).
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = 'fefdbff79d69'
down_revision = '3f04e620b7b6'
branch_labels = None
depends_on = None


# The table, its columns' prefix and the name of its foreign key to the person who hid it.
HIDDEN = (
    ("case", "description_hidden", "fk_case_description_hidden_by_id_person"),
    ("case_event", "hidden", "fk_case_event_hidden_by_id_person"),
    ("notice", "hidden", "fk_notice_hidden_by_id_person"),
    ("photo", "hidden", "fk_photo_hidden_by_id_person"),
)


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, prefix, fk in HIDDEN:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(f'{prefix}_at', portal.clock.UTCDateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column(f'{prefix}_reason', sa.Text(), nullable=True))
        # Who hid it, with its foreign key. SQLite adds a column's foreign key only inline (a
        # separate constraint would recreate the table, which the rows that refer to it forbid).
        if sqlite:
            op.execute(
                f'ALTER TABLE "{table}" ADD COLUMN {prefix}_by_id INTEGER '
                f'CONSTRAINT {fk} REFERENCES person (id)'
            )
        else:
            op.add_column(table, sa.Column(f'{prefix}_by_id', sa.Integer(), nullable=True))
            op.create_foreign_key(fk, table, 'person', [f'{prefix}_by_id'], ['id'])


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, prefix, fk in reversed(HIDDEN):
        if not sqlite:
            op.drop_constraint(fk, table, type_='foreignkey')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(f'{prefix}_reason')
            batch_op.drop_column(f'{prefix}_by_id')
            batch_op.drop_column(f'{prefix}_at')
