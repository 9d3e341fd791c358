"""Property companies: each serves several compounds

Revision ID: 3035bbd6a11b
Revises: c0c9800cc144
Create Date: 2026-12-06 08:47:33.857234

A new table of companies, and each compound's company (none until the organisation file names
one). SQLite adds the column's foreign key inline: a separate constraint would recreate the
compound table, which the rows that refer to it forbid.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '3035bbd6a11b'
down_revision = 'c0c9800cc144'
branch_labels = None
depends_on = None

FK = 'fk_compound_property_company_id_property_company'


def upgrade():
    op.create_table('property_company',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_property_company')),
    sa.UniqueConstraint('code', name=op.f('uq_property_company_code'))
    )
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            'ALTER TABLE compound ADD COLUMN property_company_id INTEGER '
            f'CONSTRAINT {FK} REFERENCES property_company (id)'
        )
    else:
        op.add_column('compound', sa.Column('property_company_id', sa.Integer(), nullable=True))
        op.create_foreign_key(FK, 'compound', 'property_company', ['property_company_id'], ['id'])
    op.create_index('ix_compound_property_company_id', 'compound', ['property_company_id'])


def downgrade():
    op.drop_index('ix_compound_property_company_id', 'compound')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(FK, 'compound', type_='foreignkey')
    with op.batch_alter_table('compound', schema=None) as batch_op:
        batch_op.drop_column('property_company_id')
    op.drop_table('property_company')
