"""first cut of the schema

Revision ID: b34b39cb7dd5
Revises:
Create Date: 2026-11-22 20:53:21.330784
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = 'b34b39cb7dd5'
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY = """
CREATE FUNCTION moderation_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'moderation_events is append-only';
END $$;
CREATE TRIGGER moderation_events_append_only BEFORE UPDATE OR DELETE ON moderation_events
  FOR EACH ROW EXECUTE FUNCTION moderation_events_append_only();
"""


def upgrade():
    for ext in ("postgis", "pg_trgm", "unaccent"):
        op.execute(f"CREATE EXTENSION IF NOT EXISTS {ext}")
    # unaccent() is only STABLE; an index needs an IMMUTABLE wrapper with a fixed dictionary.
    op.execute(
        "CREATE FUNCTION f_unaccent(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        "STRICT AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"
    )
    op.create_table('moderation_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('target_type', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.BigInteger(), nullable=False),
    sa.Column('before_status', sa.String(length=20), nullable=True),
    sa.Column('after_status', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=True),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_events'))
    )
    op.create_index('ix_moderation_events_created', 'moderation_events', ['created_at'], unique=False)
    op.create_table('themes',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name_de', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('description_de', sa.Text(), server_default='', nullable=False),
    sa.Column('description_en', sa.Text(), server_default='', nullable=False),
    sa.Column('colour', sa.String(length=7), server_default='#2b6cb0', nullable=False),
    sa.Column('icon', sa.String(length=40), server_default='pin', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_themes')),
    sa.UniqueConstraint('slug', name=op.f('uq_themes_slug'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=16), server_default='resident', nullable=False),
    sa.Column('is_helper', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('locale', sa.String(length=5), server_default='de', nullable=False),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('session_token', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("locale IN ('de', 'en')", name=op.f('ck_users_locale')),
    sa.CheckConstraint("role IN ('resident', 'curator', 'admin')", name=op.f('ck_users_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)
    op.create_geospatial_table('places',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=160), nullable=False),
    sa.Column('title', sa.String(length=140), nullable=False),
    sa.Column('summary', sa.String(length=300), server_default='', nullable=False),
    sa.Column('body', sa.Text(), server_default='', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('era_year', sa.Integer(), nullable=True),
    sa.Column('era_precision', sa.String(length=8), nullable=True),
    sa.Column('language', sa.String(length=5), server_default='de', nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('step_free', sa.Boolean(), nullable=True),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('author_name', sa.String(length=120), nullable=True),
    sa.Column('helper_id', sa.BigInteger(), nullable=True),
    sa.Column('consent_method', sa.String(length=16), nullable=True),
    sa.Column('consent_date', sa.Date(), nullable=True),
    sa.Column('credit_name', sa.String(length=120), server_default='', nullable=False),
    sa.Column('licence', sa.String(length=40), server_default='CC-BY-SA-4.0', nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_reason', sa.String(length=200), nullable=True),
    sa.Column('merged_into_id', sa.BigInteger(), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("consent_method IS NULL OR consent_method IN ('self', 'paper_form', 'spoken', 'email')", name=op.f('ck_places_consent_method')),
    sa.CheckConstraint("era_precision IS NULL OR era_precision IN ('year', 'decade')", name=op.f('ck_places_era_precision')),
    sa.CheckConstraint("status IN ('draft', 'pending', 'approved', 'rejected', 'archived')", name=op.f('ck_places_status')),
    sa.CheckConstraint('(era_year IS NULL) = (era_precision IS NULL)', name=op.f('ck_places_era_complete')),
    sa.CheckConstraint('char_length(title) BETWEEN 1 AND 140', name=op.f('ck_places_title_length')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_places_version_positive')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_places_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['helper_id'], ['users.id'], name=op.f('fk_places_helper_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['places.id'], name=op.f('fk_places_merged_into_id_places'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_places'))
    )
    op.create_geospatial_index('idx_places_geom', 'places', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_places_author_id'), 'places', ['author_id'], unique=False)
    op.create_index('ix_places_search_vector', 'places', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_index('ix_places_status_published', 'places', ['status', 'published_at'], unique=False)
    op.create_index('ix_places_title_trgm', 'places', [sa.literal_column('f_unaccent(lower(title))').label('title_unaccent')], unique=False, postgresql_using='gin', postgresql_ops={'title_unaccent': 'gin_trgm_ops'})
    op.create_table('reply_templates',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('reason_code', sa.String(length=40), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_reply_templates_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates')),
    sa.UniqueConstraint('name', name=op.f('uq_reply_templates_name'))
    )
    op.create_table('theme_follows',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('theme_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_theme_follows_theme_id_themes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_theme_follows_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'theme_id', name=op.f('pk_theme_follows'))
    )
    op.create_table('idempotency_keys',
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_idempotency_keys_place_id_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('media',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=True),
    sa.Column('uploader_id', sa.BigInteger(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('mime', sa.String(length=80), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('variants', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('caption', sa.Text(), server_default='', nullable=False),
    sa.Column('credit', sa.String(length=120), server_default='', nullable=False),
    sa.Column('licence', sa.String(length=40), server_default='CC-BY-SA-4.0', nullable=False),
    sa.Column('status', sa.String(length=16), server_default='pending', nullable=False),
    sa.Column('position', sa.Integer(), server_default='0', nullable=False),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('photo', 'audio', 'consent_scan')", name=op.f('ck_media_kind')),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'hidden')", name=op.f('ck_media_status')),
    sa.CheckConstraint('size_bytes >= 0', name=op.f('ck_media_size_nonnegative')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_media_place_id_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_media_uploader_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_media_storage_key'))
    )
    op.create_index(op.f('ix_media_place_id'), 'media', ['place_id'], unique=False)
    op.create_index(op.f('ix_media_uploader_id'), 'media', ['uploader_id'], unique=False)
    op.create_table('place_revisions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='pending', nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('reviewer_id', sa.BigInteger(), nullable=True),
    sa.Column('review_message', sa.Text(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'changes_requested', 'superseded')", name=op.f('ck_place_revisions_status')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_place_revisions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_revisions_place_id_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['users.id'], name=op.f('fk_place_revisions_reviewer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_revisions')),
    sa.UniqueConstraint('place_id', 'number', name='uq_place_revisions_place_number')
    )
    op.create_index(op.f('ix_place_revisions_place_id'), 'place_revisions', ['place_id'], unique=False)
    op.create_table('place_themes',
    sa.Column('place_id', sa.BigInteger(), nullable=False),
    sa.Column('theme_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_place_themes_place_id_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_place_themes_theme_id_themes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('place_id', 'theme_id', name=op.f('pk_place_themes'))
    )
    op.create_table('flags',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=True),
    sa.Column('media_id', sa.BigInteger(), nullable=True),
    sa.Column('reporter_id', sa.BigInteger(), nullable=True),
    sa.Column('reporter_key', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), server_default='', nullable=False),
    sa.Column('status', sa.String(length=16), server_default='open', nullable=False),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('resolved_by_id', sa.BigInteger(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("reason IN ('wrong', 'offensive', 'private', 'copyright', 'other')", name=op.f('ck_flags_reason')),
    sa.CheckConstraint("status IN ('open', 'dismissed', 'resolved')", name=op.f('ck_flags_status')),
    sa.CheckConstraint('(place_id IS NULL) <> (media_id IS NULL)', name=op.f('ck_flags_one_target')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_flags_media_id_media'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_flags_place_id_places'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_flags_reporter_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_flags_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags'))
    )
    op.create_index(op.f('ix_flags_media_id'), 'flags', ['media_id'], unique=False)
    op.create_index(op.f('ix_flags_place_id'), 'flags', ['place_id'], unique=False)
    op.create_index('ix_flags_status_created', 'flags', ['status', 'created_at'], unique=False)
    op.create_geospatial_table('tours',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('slug', sa.String(length=160), nullable=False),
    sa.Column('title', sa.String(length=140), nullable=False),
    sa.Column('intro', sa.Text(), server_default='', nullable=False),
    sa.Column('theme_id', sa.BigInteger(), nullable=True),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=16), server_default='draft', nullable=False),
    sa.Column('language', sa.String(length=5), server_default='de', nullable=False),
    sa.Column('accessibility', sa.Text(), server_default='', nullable=False),
    sa.Column('featured', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('route', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('route_source', sa.String(length=16), nullable=True),
    sa.Column('length_m', sa.Float(), nullable=True),
    sa.Column('elevation_gain_m', sa.Float(), nullable=True),
    sa.Column('elevation_loss_m', sa.Float(), nullable=True),
    sa.Column('duration_normal_min', sa.Integer(), nullable=True),
    sa.Column('duration_relaxed_min', sa.Integer(), nullable=True),
    sa.Column('cover_media_id', sa.BigInteger(), nullable=True),
    sa.Column('pending_snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("route_source IS NULL OR route_source IN ('gpx', 'drawn', 'generated')", name=op.f('ck_tours_route_source')),
    sa.CheckConstraint("status IN ('draft', 'review', 'published', 'retired')", name=op.f('ck_tours_status')),
    sa.CheckConstraint('char_length(title) BETWEEN 1 AND 140', name=op.f('ck_tours_title_length')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_tours_version_positive')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_tours_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cover_media_id'], ['media.id'], name=op.f('fk_tours_cover_media_id_media'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['theme_id'], ['themes.id'], name=op.f('fk_tours_theme_id_themes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tours')),
    sa.UniqueConstraint('slug', name=op.f('uq_tours_slug'))
    )
    op.create_geospatial_index('idx_tours_route', 'tours', ['route'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_tours_author_id'), 'tours', ['author_id'], unique=False)
    op.create_index(op.f('ix_tours_theme_id'), 'tours', ['theme_id'], unique=False)
    op.create_table('tour_stops',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tour_id', sa.BigInteger(), nullable=False),
    sa.Column('place_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('transition_note', sa.Text(), server_default='', nullable=False),
    sa.Column('accessibility', sa.Text(), server_default='', nullable=False),
    sa.Column('dwell_min', sa.Integer(), server_default='5', nullable=False),
    sa.CheckConstraint('dwell_min >= 0', name=op.f('ck_tour_stops_dwell_nonnegative')),
    sa.CheckConstraint('position >= 1', name=op.f('ck_tour_stops_position_positive')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_tour_stops_place_id_places'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['tour_id'], ['tours.id'], name=op.f('fk_tour_stops_tour_id_tours'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tour_stops')),
    sa.UniqueConstraint('tour_id', 'position', name='uq_tour_stops_tour_position')
    )
    op.create_index(op.f('ix_tour_stops_place_id'), 'tour_stops', ['place_id'], unique=False)
    op.create_index(op.f('ix_tour_stops_tour_id'), 'tour_stops', ['tour_id'], unique=False)
    op.create_table('tour_usage',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('tour_id', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), server_default='0', nullable=False),
    sa.CheckConstraint("kind IN ('view', 'start', 'finish', 'offline_save')", name=op.f('ck_tour_usage_kind')),
    sa.ForeignKeyConstraint(['tour_id'], ['tours.id'], name=op.f('fk_tour_usage_tour_id_tours'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tour_usage')),
    sa.UniqueConstraint('tour_id', 'day', 'kind', name='uq_tour_usage_tour_day_kind')
    )
    op.execute(APPEND_ONLY)


def downgrade():
    op.execute("DROP TRIGGER moderation_events_append_only ON moderation_events")
    op.execute("DROP FUNCTION moderation_events_append_only()")
    op.drop_table('tour_usage')
    op.drop_index(op.f('ix_tour_stops_tour_id'), table_name='tour_stops')
    op.drop_index(op.f('ix_tour_stops_place_id'), table_name='tour_stops')
    op.drop_table('tour_stops')
    op.drop_index(op.f('ix_tours_theme_id'), table_name='tours')
    op.drop_index(op.f('ix_tours_author_id'), table_name='tours')
    op.drop_geospatial_index('idx_tours_route', table_name='tours', postgresql_using='gist', column_name='route')
    op.drop_geospatial_table('tours')
    op.drop_index('ix_flags_status_created', table_name='flags')
    op.drop_index(op.f('ix_flags_place_id'), table_name='flags')
    op.drop_index(op.f('ix_flags_media_id'), table_name='flags')
    op.drop_table('flags')
    op.drop_table('place_themes')
    op.drop_index(op.f('ix_place_revisions_place_id'), table_name='place_revisions')
    op.drop_table('place_revisions')
    op.drop_index(op.f('ix_media_uploader_id'), table_name='media')
    op.drop_index(op.f('ix_media_place_id'), table_name='media')
    op.drop_table('media')
    op.drop_table('idempotency_keys')
    op.drop_table('theme_follows')
    op.drop_table('reply_templates')
    op.drop_index('ix_places_title_trgm', table_name='places', postgresql_using='gin')
    op.drop_index('ix_places_status_published', table_name='places')
    op.drop_index('ix_places_search_vector', table_name='places', postgresql_using='gin')
    op.drop_index(op.f('ix_places_author_id'), table_name='places')
    op.drop_geospatial_index('idx_places_geom', table_name='places', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('places')
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_table('users')
    op.drop_table('themes')
    op.drop_index('ix_moderation_events_created', table_name='moderation_events')
    op.drop_table('moderation_events')
    op.execute("DROP FUNCTION f_unaccent(text)")
