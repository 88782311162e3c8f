"""editor: who wrote, submitted, approved a programme; leader's comment; versions; clip library

Revision ID: 0006_editor
Revises: 0005_tamper
Create Date: 2026-11-28 01:40:00.000000

The ``leader`` role needs no change: roles are stored as plain strings.
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0006_editor'
down_revision = '0005_tamper'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('programme') as batch:
        batch.add_column(sa.Column('created_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('submitted_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('submitted_at', loa.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('approved_by', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('review_comment', sa.Text(), nullable=True))
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('replaces_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f('fk_programme_replaces_id_programme'), 'programme', ['replaces_id'], ['id']
        )
        batch.drop_constraint('uq_programme_campaign_id', type_='unique')
        batch.create_unique_constraint(
            op.f('uq_programme_campaign_id'), ['campaign_id', 'unit_id', 'month', 'version']
        )
    op.create_table(
        'clip',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('asset_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ['asset_sha256'], ['audio_asset.sha256'],
            name=op.f('fk_clip_asset_sha256_audio_asset'),
        ),
        sa.ForeignKeyConstraint(
            ['unit_id'], ['admin_unit.id'], name=op.f('fk_clip_unit_id_admin_unit')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_clip')),
        sa.UniqueConstraint('unit_id', 'name', name=op.f('uq_clip_unit_id')),
    )
    op.create_index(op.f('ix_clip_unit_id'), 'clip', ['unit_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_clip_unit_id'), table_name='clip')
    op.drop_table('clip')
    versions = op.get_bind().scalar(sa.text('SELECT count(*) FROM programme WHERE version > 1'))
    if versions:  # their airings are evidence: never delete them to fit the old schema
        raise RuntimeError(
            f'{versions} programme versions exist; the old schema holds one per month'
        )
    with op.batch_alter_table('programme') as batch:
        batch.drop_constraint('uq_programme_campaign_id', type_='unique')
        batch.create_unique_constraint(
            op.f('uq_programme_campaign_id'), ['campaign_id', 'unit_id', 'month']
        )
        batch.drop_constraint('fk_programme_replaces_id_programme', type_='foreignkey')
        for name in (
            'replaces_id', 'version', 'review_comment', 'approved_by', 'submitted_at',
            'submitted_by', 'created_by',
        ):
            batch.drop_column(name)
