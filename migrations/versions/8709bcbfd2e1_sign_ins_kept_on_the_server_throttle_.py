"""sign-ins kept on the server; throttle counts

Revision ID: 8709bcbfd2e1
Revises: 8f5d6468a2b6
Create Date: 2026-12-04 17:54:34.578201

Sign-ins are kept on the server (only a hash of each token), so that signing out, signing out
everywhere and a password change end them for a copied cookie too; the session and the
remember cookie now carry the token instead of the person's id, so everyone signed in before
this revision signs in once more. The throttle table counts failed sign-ins, sign-ups and
visitors' filings per hashed key for every worker alike. No existing data changes.
"""
import sqlalchemy as sa
from alembic import op

import portal.clock

# revision identifiers, used by Alembic.
revision = '8709bcbfd2e1'
down_revision = '8f5d6468a2b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('window_started_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle'))
    )
    op.create_table('sign_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('created_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', portal.clock.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', portal.clock.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_sign_in_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_token_hash'))
    )
    with op.batch_alter_table('sign_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_person_id'), ['person_id'], unique=False)



def downgrade():
    with op.batch_alter_table('sign_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_person_id'))

    op.drop_table('sign_in')
    op.drop_table('throttle')
