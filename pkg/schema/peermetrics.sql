-- The Peermetrics API schema (Django migrations 0001-0004) as the plugin finds it.
-- This file is the single description of the database that the tests, the generator (cmd/pmseed)
-- and the benchmarks share. The plugin itself never runs it: it only reads.
-- Conventions: uuid primary keys; foreign keys NOT NULL unless marked, btree-indexed,
-- ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED; created_at timestamptz; is_active (soft delete).

CREATE TABLE organization (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    name varchar(64) NOT NULL
);

CREATE TABLE app (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    name varchar(64) NOT NULL,
    api_key varchar(32) NOT NULL UNIQUE,
    domain varchar(256) NULL,
    "interval" integer NOT NULL DEFAULT 10000,
    recording boolean NOT NULL,
    durations_days jsonb NOT NULL,
    organization_id uuid NOT NULL REFERENCES organization (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX app_organization_id_idx ON app (organization_id);

CREATE TABLE conference (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    conference_id varchar(64) NOT NULL,
    conference_name varchar(64) NULL,
    conference_info jsonb NOT NULL,
    start_time timestamptz NULL,
    call_start timestamptz NULL,
    end_time timestamptz NULL,
    ongoing boolean NOT NULL,
    duration integer NOT NULL CHECK (duration >= 0),
    app_id uuid NOT NULL REFERENCES app (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT conference_conference_id_app_id_uniq UNIQUE (conference_id, app_id)
);
CREATE INDEX conference_conference_id_idx ON conference (conference_id);
CREATE INDEX conference_app_id_idx ON conference (app_id);
CREATE INDEX idx_conf_app_created ON conference (app_id, created_at DESC);

CREATE TABLE participant (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    participant_id varchar(64) NOT NULL,
    participant_name varchar(64) NULL,
    is_sfu boolean NOT NULL,
    app_id uuid NOT NULL REFERENCES app (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT participant_participant_id_app_id_uniq UNIQUE (participant_id, app_id)
);
CREATE INDEX participant_participant_id_idx ON participant (participant_id);
CREATE INDEX participant_app_id_idx ON participant (app_id);

CREATE TABLE participant_conferences (
    id serial PRIMARY KEY,
    participant_id uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    conference_id uuid NOT NULL REFERENCES conference (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT participant_conferences_uniq UNIQUE (participant_id, conference_id)
);
CREATE INDEX participant_conferences_participant_id_idx ON participant_conferences (participant_id);
CREATE INDEX participant_conferences_conference_id_idx ON participant_conferences (conference_id);

CREATE TABLE app_session (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    constraints jsonb NOT NULL,
    devices jsonb NOT NULL DEFAULT '{}'::jsonb,
    platform jsonb NOT NULL,
    metadata jsonb NOT NULL,
    geo_ip jsonb NOT NULL,
    session_info jsonb NOT NULL,
    app_version varchar(16) NULL,
    webrtc_sdk varchar(16) NULL,
    duration integer NOT NULL CHECK (duration >= 0),
    end_time timestamptz NULL,
    call_start timestamptz NULL,
    conference_id uuid NOT NULL REFERENCES conference (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    participant_id uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX app_session_conference_id_idx ON app_session (conference_id);
CREATE INDEX app_session_participant_id_idx ON app_session (participant_id);

CREATE TABLE app_connection (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    type varchar(1) NULL,
    state varchar(32) NOT NULL DEFAULT 'new',
    connection_info jsonb NOT NULL,
    start_time timestamptz NULL,
    end_time timestamptz NULL,
    duration integer NOT NULL CHECK (duration >= 0),
    session_id uuid NOT NULL REFERENCES app_session (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    conference_id uuid NOT NULL REFERENCES conference (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    participant_id uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    peer_id uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX app_connection_session_id_idx ON app_connection (session_id);
CREATE INDEX app_connection_conference_id_idx ON app_connection (conference_id);
CREATE INDEX app_connection_participant_id_idx ON app_connection (participant_id);
CREATE INDEX app_connection_peer_id_idx ON app_connection (peer_id);

CREATE TABLE app_track (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    kind varchar(1) NOT NULL,
    direction varchar(1) NOT NULL,
    track_id varchar(40) NOT NULL,
    label varchar(128) NULL,
    track_info jsonb NOT NULL,
    session_id uuid NOT NULL REFERENCES app_session (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    connection_id uuid NULL REFERENCES app_connection (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX app_track_track_id_idx ON app_track (track_id);
CREATE INDEX app_track_session_id_idx ON app_track (session_id);
CREATE INDEX app_track_connection_id_idx ON app_track (connection_id);

CREATE TABLE app_genericevent (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    type varchar(32) NOT NULL,
    category varchar(1) NOT NULL,
    data jsonb NULL,
    app_id uuid NOT NULL REFERENCES app (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    conference_id uuid NOT NULL REFERENCES conference (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    participant_id uuid NOT NULL REFERENCES participant (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    session_id uuid NOT NULL REFERENCES app_session (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    peer_id uuid NULL REFERENCES participant (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    connection_id uuid NULL REFERENCES app_connection (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    track_id uuid NULL REFERENCES app_track (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX app_genericevent_app_id_idx ON app_genericevent (app_id);
CREATE INDEX app_genericevent_conference_id_idx ON app_genericevent (conference_id);
CREATE INDEX app_genericevent_participant_id_idx ON app_genericevent (participant_id);
CREATE INDEX app_genericevent_session_id_idx ON app_genericevent (session_id);
CREATE INDEX app_genericevent_peer_id_idx ON app_genericevent (peer_id);
CREATE INDEX app_genericevent_connection_id_idx ON app_genericevent (connection_id);
CREATE INDEX app_genericevent_track_id_idx ON app_genericevent (track_id);
CREATE INDEX idx_genevent_app_created ON app_genericevent (app_id, created_at DESC);

CREATE TABLE app_issue (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    type varchar(1) NOT NULL,
    code varchar(32) NOT NULL,
    data jsonb NULL,
    session_id uuid NOT NULL REFERENCES app_session (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    conference_id uuid NULL REFERENCES conference (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    participant_id uuid NULL REFERENCES participant (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    connection_id uuid NULL REFERENCES app_connection (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    track_id uuid NULL REFERENCES app_track (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX app_issue_session_id_idx ON app_issue (session_id);
CREATE INDEX app_issue_conference_id_idx ON app_issue (conference_id);
CREATE INDEX app_issue_participant_id_idx ON app_issue (participant_id);
CREATE INDEX app_issue_connection_id_idx ON app_issue (connection_id);
CREATE INDEX app_issue_track_id_idx ON app_issue (track_id);
CREATE INDEX idx_issue_conf_type ON app_issue (conference_id, type);

CREATE TABLE app_issue_events (
    id serial PRIMARY KEY,
    issue_id uuid NOT NULL REFERENCES app_issue (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    genericevent_id uuid NOT NULL REFERENCES app_genericevent (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT app_issue_events_uniq UNIQUE (issue_id, genericevent_id)
);
CREATE INDEX app_issue_events_issue_id_idx ON app_issue_events (issue_id);
CREATE INDEX app_issue_events_genericevent_id_idx ON app_issue_events (genericevent_id);

CREATE TABLE summary (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL,
    is_active boolean NOT NULL,
    status varchar(1) NOT NULL,
    version integer NOT NULL,
    end_time timestamptz NULL,
    data jsonb NOT NULL,
    conference_id uuid NOT NULL UNIQUE REFERENCES conference (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
);
