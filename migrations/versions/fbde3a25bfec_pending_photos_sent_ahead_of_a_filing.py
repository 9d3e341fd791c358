"""Pending photos sent ahead of a filing

Revision ID: fbde3a25bfec
Revises: 0ca09f95cbe5
Create Date: 2026-12-05 22:44:36.217331

A photo that passed its checks is kept while its filing is not yet sent: a browser sends the
photos as they are chosen, and a filing that comes back with errors keeps the ones it carried.
Each row is tied to the browser that sent it and deleted by the sweep once unused for
PORTAL_PENDING_PHOTO_HOURS; the index on created_at is the sweep's look-up. No existing row
changes.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = 'fbde3a25bfec'
down_revision = '0ca09f95cbe5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('thumb_path', sa.String(length=200), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_photo')),
    sa.UniqueConstraint('token', name=op.f('uq_pending_photo_token'))
    )
    with op.batch_alter_table('pending_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_photo_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_photo_created_at'))

    op.drop_table('pending_photo')
