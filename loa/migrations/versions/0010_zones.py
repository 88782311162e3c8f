"""zone: a station's loudspeaker clusters; player.zone_id; each station's default zone;
station_month_snapshot.zones (the verdict per zone at close); programme_variant

Revision ID: 0010_zones
Revises: 0010_forms
Create Date: 2026-12-04 19:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

import loa.db

revision = '0010_zones'
down_revision = '0010_forms'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'zone',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('station_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['station_id'], ['station.id'],
                                name=op.f('fk_zone_station_id_station')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_zone')),
        sa.UniqueConstraint('station_id', 'code', name=op.f('uq_zone_station_id')),
    )
    with op.batch_alter_table('zone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zone_station_id'), ['station_id'], unique=False)
    # Every existing station gets its default zone, and its players are put in it, so a
    # station reads exactly as before (one zone).
    op.execute(
        "INSERT INTO zone (station_id, code, name, language) "
        "SELECT id, 'chung', 'Toàn đài', 'vi' FROM station"
    )
    with op.batch_alter_table('player', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zone_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_player_zone_id'), ['zone_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_player_zone_id_zone'), 'zone',
                                    ['zone_id'], ['id'])
    with op.batch_alter_table('station_month_snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zones', sa.JSON(), nullable=True))
    op.create_table(
        'programme_variant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('programme_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('asset_sha256', sa.String(length=64), nullable=False),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.Column('added_at', loa.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['asset_sha256'], ['audio_asset.sha256'],
                                name=op.f('fk_programme_variant_asset_sha256_audio_asset')),
        sa.ForeignKeyConstraint(['programme_id'], ['programme.id'],
                                name=op.f('fk_programme_variant_programme_id_programme')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_variant')),
        sa.UniqueConstraint('programme_id', 'language',
                            name=op.f('uq_programme_variant_programme_id')),
    )
    with op.batch_alter_table('programme_variant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_variant_programme_id'), ['programme_id'],
                              unique=False)
    op.execute(
        "UPDATE player SET zone_id = (SELECT zone.id FROM zone WHERE "
        "zone.station_id = player.station_id AND zone.code = 'chung')"
    )


def downgrade() -> None:
    with op.batch_alter_table('programme_variant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_variant_programme_id'))
    op.drop_table('programme_variant')
    with op.batch_alter_table('station_month_snapshot', schema=None) as batch_op:
        batch_op.drop_column('zones')
    with op.batch_alter_table('player', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_player_zone_id_zone'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_player_zone_id'))
        batch_op.drop_column('zone_id')
    with op.batch_alter_table('zone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_zone_station_id'))
    op.drop_table('zone')
