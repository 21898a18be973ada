"""walking network: pgRouting, edges and vertices (with staging twins), import runs, cached
legs; tours can be routed on it (route_source foot / step_free) and keep their network legs

Revision ID: 64388023a642
Revises: 7a1c9e0b4d22
Create Date: 2026-12-03 14:18:59
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '64388023a642'
down_revision = '7a1c9e0b4d22'
branch_labels = None
depends_on = None


OLD_SOURCES = "route_source IS NULL OR route_source IN ('gpx', 'drawn', 'generated')"
NEW_SOURCES = (
    "route_source IS NULL OR route_source IN ('gpx', 'drawn', 'generated', 'foot', 'step_free')"
)


def upgrade():
    op.execute("CREATE EXTENSION IF NOT EXISTS pgrouting")
    op.create_geospatial_table('walknet_edges',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('source', sa.BigInteger(), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=False),
    sa.Column('osm_way_id', sa.BigInteger(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('highway', sa.String(length=64), nullable=True),
    sa.Column('footway', sa.String(length=64), nullable=True),
    sa.Column('sidewalk', sa.String(length=64), nullable=True),
    sa.Column('foot', sa.String(length=64), nullable=True),
    sa.Column('access', sa.String(length=64), nullable=True),
    sa.Column('wheelchair', sa.String(length=64), nullable=True),
    sa.Column('surface', sa.String(length=64), nullable=True),
    sa.Column('smoothness', sa.String(length=64), nullable=True),
    sa.Column('incline', sa.String(length=64), nullable=True),
    sa.Column('width', sa.String(length=64), nullable=True),
    sa.Column('step_count', sa.String(length=64), nullable=True),
    sa.Column('barrier', sa.String(length=64), nullable=True),
    sa.Column('kerb', sa.String(length=64), nullable=True),
    sa.Column('conveying', sa.String(length=16), nullable=True),
    sa.Column('underground', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('cost_foot', sa.Float(), nullable=False),
    sa.Column('reverse_cost_foot', sa.Float(), nullable=False),
    sa.Column('cost_step_free', sa.Float(), nullable=False),
    sa.Column('reverse_cost_step_free', sa.Float(), nullable=False),
    sa.Column('component_foot', sa.BigInteger(), server_default='-1', nullable=False),
    sa.Column('component_step_free', sa.BigInteger(), server_default='-1', nullable=False),
    sa.CheckConstraint('length_m > 0', name=op.f('ck_walknet_edges_length_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walknet_edges'))
    )
    op.create_geospatial_index('ix_walknet_edges_geom', 'walknet_edges', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_walknet_edges_source', 'walknet_edges', ['source'], unique=False)
    op.create_index('ix_walknet_edges_target', 'walknet_edges', ['target'], unique=False)
    op.create_geospatial_table('walknet_edges_staging',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('source', sa.BigInteger(), nullable=False),
    sa.Column('target', sa.BigInteger(), nullable=False),
    sa.Column('osm_way_id', sa.BigInteger(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('highway', sa.String(length=64), nullable=True),
    sa.Column('footway', sa.String(length=64), nullable=True),
    sa.Column('sidewalk', sa.String(length=64), nullable=True),
    sa.Column('foot', sa.String(length=64), nullable=True),
    sa.Column('access', sa.String(length=64), nullable=True),
    sa.Column('wheelchair', sa.String(length=64), nullable=True),
    sa.Column('surface', sa.String(length=64), nullable=True),
    sa.Column('smoothness', sa.String(length=64), nullable=True),
    sa.Column('incline', sa.String(length=64), nullable=True),
    sa.Column('width', sa.String(length=64), nullable=True),
    sa.Column('step_count', sa.String(length=64), nullable=True),
    sa.Column('barrier', sa.String(length=64), nullable=True),
    sa.Column('kerb', sa.String(length=64), nullable=True),
    sa.Column('conveying', sa.String(length=16), nullable=True),
    sa.Column('underground', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('cost_foot', sa.Float(), nullable=False),
    sa.Column('reverse_cost_foot', sa.Float(), nullable=False),
    sa.Column('cost_step_free', sa.Float(), nullable=False),
    sa.Column('reverse_cost_step_free', sa.Float(), nullable=False),
    sa.Column('component_foot', sa.BigInteger(), server_default='-1', nullable=False),
    sa.Column('component_step_free', sa.BigInteger(), server_default='-1', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walknet_edges_staging'))
    )
    op.create_table('walknet_networks',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('source_name', sa.Text(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('bbox', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('edges', sa.Integer(), nullable=False),
    sa.Column('vertices', sa.Integer(), nullable=False),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walknet_networks'))
    )
    op.create_index('uq_walknet_networks_one_active', 'walknet_networks', ['active'], unique=True, postgresql_where='active')
    op.create_geospatial_table('walknet_vertices',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walknet_vertices'))
    )
    op.create_geospatial_index('ix_walknet_vertices_geom', 'walknet_vertices', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('walknet_vertices_staging',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_walknet_vertices_staging'))
    )
    op.create_table('walknet_legs',
    sa.Column('network_id', sa.BigInteger(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('from_x', sa.BigInteger(), nullable=False),
    sa.Column('from_y', sa.BigInteger(), nullable=False),
    sa.Column('to_x', sa.BigInteger(), nullable=False),
    sa.Column('to_y', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('leg', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("mode IN ('foot', 'step_free')", name=op.f('ck_walknet_legs_mode')),
    sa.CheckConstraint("status IN ('ok', 'off_network', 'no_route')", name=op.f('ck_walknet_legs_status')),
    sa.ForeignKeyConstraint(['network_id'], ['walknet_networks.id'], name=op.f('fk_walknet_legs_network_id_walknet_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('network_id', 'mode', 'from_x', 'from_y', 'to_x', 'to_y', name=op.f('pk_walknet_legs'))
    )
    op.add_column('tours', sa.Column('network_routes', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.drop_constraint(op.f('ck_tours_route_source'), 'tours', type_='check')
    op.create_check_constraint(op.f('ck_tours_route_source'), 'tours', NEW_SOURCES)


def downgrade():
    # A tour routed on the network keeps its line as a drawn route (the line stays what
    # visitors saw); the pending edit of a published tour is carried over the same way.
    op.execute("UPDATE tours SET route_source = 'drawn' WHERE route_source IN ('foot', 'step_free')")
    op.execute(
        "UPDATE tours SET pending_snapshot = jsonb_set(pending_snapshot - 'network_routes', "
        "'{route_source}', '\"drawn\"') "
        "WHERE pending_snapshot->>'route_source' IN ('foot', 'step_free')"
    )
    op.execute(
        "UPDATE tours SET pending_snapshot = pending_snapshot - 'network_routes' "
        "WHERE pending_snapshot ? 'network_routes'"
    )
    op.drop_constraint(op.f('ck_tours_route_source'), 'tours', type_='check')
    op.create_check_constraint(op.f('ck_tours_route_source'), 'tours', OLD_SOURCES)
    op.drop_column('tours', 'network_routes')
    op.drop_table('walknet_legs')
    op.drop_geospatial_table('walknet_vertices_staging')
    op.drop_geospatial_index('ix_walknet_vertices_geom', table_name='walknet_vertices', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('walknet_vertices')
    op.drop_index('uq_walknet_networks_one_active', table_name='walknet_networks', postgresql_where='active')
    op.drop_table('walknet_networks')
    op.drop_geospatial_table('walknet_edges_staging')
    op.drop_index('ix_walknet_edges_target', table_name='walknet_edges')
    op.drop_index('ix_walknet_edges_source', table_name='walknet_edges')
    op.drop_geospatial_index('ix_walknet_edges_geom', table_name='walknet_edges', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('walknet_edges')
    op.execute("DROP EXTENSION IF EXISTS pgrouting")
