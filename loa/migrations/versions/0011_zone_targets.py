"""Targeting zones and bulletin language variants: bulletin_target.zone_id, relay_slot_zone,
bulletin_variant, and bulletin_delivery.asset_sha256 (the audio each player is given)

Revision ID: 0011_zone_targets
Revises: 0010_zones
Create Date: 2026-12-05 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0011_zone_targets'
down_revision = '0010_zones'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bulletin_target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('zone_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bulletin_target_zone_id_zone'), 'zone',
                                    ['zone_id'], ['id'])
    op.create_table(
        'relay_slot_zone',
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['slot_id'], ['relay_slot.id'], ondelete='CASCADE',
                                name=op.f('fk_relay_slot_zone_slot_id_relay_slot')),
        sa.ForeignKeyConstraint(['zone_id'], ['zone.id'],
                                name=op.f('fk_relay_slot_zone_zone_id_zone')),
        sa.PrimaryKeyConstraint('slot_id', 'zone_id', name=op.f('pk_relay_slot_zone')),
    )
    op.create_table(
        'bulletin_variant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bulletin_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('asset_sha256', sa.String(length=64), nullable=False),
        sa.Column('duration_ms', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['bulletin_id'], ['bulletin.id'],
                                name=op.f('fk_bulletin_variant_bulletin_id_bulletin')),
        sa.ForeignKeyConstraint(['asset_sha256'], ['audio_asset.sha256'],
                                name=op.f('fk_bulletin_variant_asset_sha256_audio_asset')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulletin_variant')),
        sa.UniqueConstraint('bulletin_id', 'language',
                            name=op.f('uq_bulletin_variant_bulletin_id')),
    )
    # Every delivery so far gave its player the bulletin's one audio.
    with op.batch_alter_table('bulletin_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('asset_sha256', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE bulletin_delivery SET asset_sha256 = (SELECT bulletin.asset_sha256 FROM "
        "bulletin WHERE bulletin.id = bulletin_delivery.bulletin_id)"
    )
    with op.batch_alter_table('bulletin_delivery', schema=None) as batch_op:
        batch_op.alter_column('asset_sha256', existing_type=sa.String(length=64),
                              nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_bulletin_delivery_asset_sha256_audio_asset'),
                                    'audio_asset', ['asset_sha256'], ['sha256'])


def downgrade() -> None:
    with op.batch_alter_table('bulletin_delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bulletin_delivery_asset_sha256_audio_asset'),
                                 type_='foreignkey')
        batch_op.drop_column('asset_sha256')
    op.drop_table('bulletin_variant')
    op.drop_table('relay_slot_zone')
    with op.batch_alter_table('bulletin_target', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_bulletin_target_zone_id_zone'),
                                 type_='foreignkey')
        batch_op.drop_column('zone_id')
