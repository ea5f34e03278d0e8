-- A hand-counted fixture: every expected number in store_test.go is counted from this file by hand
-- (see the comments there), not produced by the code under test.
-- ids: organizations ...0a0N, apps ...0a1N, conferences ...0c0N, participants ...0b0N,
-- sessions ...0d0N (two digits), connections ...0e0N, issues ...0f0N.

INSERT INTO organization (id, created_at, is_active, name) VALUES
 ('00000000-0000-4000-8000-000000000a01', '2026-01-01Z', true, 'Org one'),
 ('00000000-0000-4000-8000-000000000a02', '2026-01-01Z', true, 'Org two');

INSERT INTO app (id, created_at, is_active, name, api_key, "interval", recording, durations_days, organization_id) VALUES
 ('00000000-0000-4000-8000-000000000a11', '2026-01-01Z', true, 'App one', 'key1', 10000, false, '{}', '00000000-0000-4000-8000-000000000a01'),
 ('00000000-0000-4000-8000-000000000a12', '2026-01-01Z', true, 'App two', 'key2', 10000, false, '{}', '00000000-0000-4000-8000-000000000a01'),
 ('00000000-0000-4000-8000-000000000a13', '2026-01-01Z', true, 'App three', 'key3', 10000, false, '{}', '00000000-0000-4000-8000-000000000a02');

INSERT INTO conference (id, created_at, is_active, conference_id, conference_name, conference_info, start_time, end_time, ongoing, duration, app_id) VALUES
 ('00000000-0000-4000-8000-000000000c01', '2026-11-01 10:00Z', true,  'c1', 'Standup',  '{}', '2026-11-01 10:00Z', '2026-11-01 10:02Z', false, 120,  '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c02', '2026-11-01 12:00Z', true,  'c2', 'Sales',    '{}', '2026-11-01 12:00Z', '2026-11-01 12:01Z', false, 60,   '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c03', '2026-11-02 09:00Z', true,  'c3', 'Live',     '{}', '2026-11-02 09:00Z', NULL,               true,  0,    '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c04', '2026-11-02 15:00Z', true,  'c4', 'Retro',    '{}', '2026-11-02 15:00Z', '2026-11-02 15:05Z', false, 300,  '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c05', '2026-11-03 08:00Z', true,  'c5', 'Support',  '{}', '2026-11-03 08:00Z', '2026-11-03 08:00Z', false, 30,   '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c06', '2026-11-03 09:00Z', false, 'c6', 'Deleted',  '{}', '2026-11-03 09:00Z', '2026-11-03 09:10Z', false, 600,  '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c07', '2026-10-31 23:00Z', true,  'c7', 'Night',    '{}', '2026-10-31 23:00Z', '2026-11-01 01:00Z', false, 7200, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c08', '2026-11-02 10:00Z', true,  'c8', 'Review',   '{}', '2026-11-02 10:00Z', '2026-11-02 10:01Z', false, 40,   '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c09', '2026-11-02 11:00Z', true,  'c9', 'Other org','{}', '2026-11-02 11:00Z', '2026-11-02 11:01Z', false, 60,   '00000000-0000-4000-8000-000000000a13'),
 ('00000000-0000-4000-8000-000000000c10', '2026-11-02 11:00Z', true,  'c10','App two',  '{}', '2026-11-02 11:00Z', '2026-11-02 11:01Z', false, 60,   '00000000-0000-4000-8000-000000000a12');

INSERT INTO participant (id, created_at, is_active, participant_id, participant_name, is_sfu, app_id) VALUES
 ('00000000-0000-4000-8000-000000000b01', '2026-01-01Z', true, 'p1', 'Ann',  false, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b02', '2026-01-01Z', true, 'p2', 'Bob',  false, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b03', '2026-01-01Z', true, 'p3', 'Cid',  false, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b04', '2026-01-01Z', true, 'p4', 'Dee',  false, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b05', '2026-01-01Z', true, 'p5', 'Eve',  false, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b06', '2026-01-01Z', true, 'p6', 'Fay',  false, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b07', '2026-01-01Z', true, 'p7', 'Gus',  false, '00000000-0000-4000-8000-000000000a12'),
 ('00000000-0000-4000-8000-000000000b08', '2026-01-01Z', true, 'p8', 'Hal',  false, '00000000-0000-4000-8000-000000000a13'),
 ('00000000-0000-4000-8000-000000000b09', '2026-01-01Z', true, 'livekit-sfu-server-inbound', NULL, true, '00000000-0000-4000-8000-000000000a11');

-- Sessions: (session, conference, participant, created, active, browser, os, country, duration)
INSERT INTO app_session (id, created_at, is_active, constraints, devices, platform, metadata, geo_ip, session_info, app_version, webrtc_sdk, duration, conference_id, participant_id)
SELECT ('00000000-0000-4000-8000-000000000d' || s.n)::uuid, s.created::timestamptz, s.active, '{}', '[]',
       jsonb_build_object('browser', jsonb_build_object('name', s.browser), 'os', jsonb_build_object('name', s.os)),
       '{}', jsonb_build_object('country_code', s.country), '{}', '1.0', s.sdk, s.duration,
       ('00000000-0000-4000-8000-000000000c' || s.conf)::uuid, ('00000000-0000-4000-8000-000000000b' || s.part)::uuid
FROM (VALUES
 ('01', '01', '01', '2026-11-01 10:00Z', true,  'Chrome',  'Windows',  'US', 120, NULL),
 ('02', '01', '02', '2026-11-01 10:00Z', true,  'Firefox', 'Mac OS',   'DE', 100, NULL),
 ('03', '02', '01', '2026-11-01 12:00Z', true,  'Chrome',  'Windows',  'US', 60,  NULL),
 ('04', '02', '03', '2026-11-01 12:00Z', true,  'Safari',  'iOS',      'US', 60,  NULL),
 ('05', '03', '04', '2026-11-02 09:00Z', true,  'Chrome',  'Linux',    'FR', 0,   'livekit'),
 ('06', '04', '02', '2026-11-02 15:00Z', true,  'Firefox', 'Mac OS',   'DE', 300, NULL),
 ('07', '04', '02', '2026-11-02 15:01Z', true,  'Firefox', 'Mac OS',   'DE', 200, NULL),
 ('08', '05', '05', '2026-11-03 08:00Z', true,  'Chrome',  'Linux',    'FR', 30,  NULL),
 ('09', '06', '01', '2026-11-03 09:00Z', true,  'Chrome',  'Windows',  'US', 600, NULL),
 ('10', '07', '06', '2026-11-01 00:30Z', true,  'Edge',    'Windows',  'GB', 50,  NULL),
 ('11', '08', '03', '2026-11-02 10:00Z', true,  'Safari',  'iOS',      'US', 40,  NULL),
 ('12', '08', '04', '2026-11-02 10:00Z', false, 'Chrome',  'Linux',    'FR', 40,  NULL),
 ('13', '10', '07', '2026-11-02 11:00Z', true,  'Chrome',  'Android',  'BR', 60,  NULL),
 ('14', '09', '08', '2026-11-02 11:00Z', true,  'Chrome',  'Windows',  'US', 60,  NULL)
) AS s(n, conf, part, created, active, browser, os, country, duration, sdk);

-- Connections: (connection, session, conference, participant, peer, created, active, type, connection_info)
-- K08 is active but on soft-deleted session S12: it never counts.
INSERT INTO app_connection (id, created_at, is_active, type, state, connection_info, duration, session_id, conference_id, participant_id, peer_id)
SELECT ('00000000-0000-4000-8000-000000000e' || k.n)::uuid, k.created::timestamptz, k.active, k.type, 'connected', k.info::jsonb, 0,
       ('00000000-0000-4000-8000-000000000d' || k.sess)::uuid, ('00000000-0000-4000-8000-000000000c' || k.conf)::uuid,
       ('00000000-0000-4000-8000-000000000b' || k.part)::uuid, ('00000000-0000-4000-8000-000000000b' || k.peer)::uuid
FROM (VALUES
 ('01', '01', '01', '01', '02', '2026-11-01 10:00Z', true,  'h',  '{"negotiations":[{"start_time":"2026-11-01T10:00:00.000Z","end_time":"2026-11-01T10:00:00.300Z","status":"connected","type":"initial"}]}'),
 ('02', '02', '01', '02', '01', '2026-11-01 10:00Z', true,  'r',  '{"negotiations":[{"start_time":"2026-11-01T10:00:00.000Z","end_time":"2026-11-01T10:00:01.200Z","status":"connected","type":"initial"}]}'),
 ('03', '03', '02', '01', '03', '2026-11-01 12:00Z', true,  's',  '{"negotiations":[{"start_time":"2026-11-01T12:00:00.000Z","end_time":null,"status":"failed","type":"initial"},{"start_time":"2026-11-01T12:00:05Z","end_time":"2026-11-01T12:00:06Z","status":"connected","type":"renegotiation"}]}'),
 ('04', '04', '02', '03', '01', '2026-11-01 12:00Z', true,  NULL, '{"detected_tcp":false}'),
 ('05', '05', '03', '04', '09', '2026-11-02 09:00Z', true,  'r',  '{"negotiations":[{"start_time":"2026-11-02T09:00:00Z","end_time":"2026-11-02T09:00:00.600Z","status":"connected","type":"initial"}]}'),
 ('06', '06', '04', '02', '01', '2026-11-02 15:00Z', true,  'h',  '{"negotiations":[{"start_time":"2026-11-02T15:00:00Z","end_time":"2026-11-02T15:00:00.100Z","status":"connected","type":"initial"}]}'),
 ('07', '07', '04', '02', '01', '2026-11-02 15:01Z', true,  'p',  '{}'),
 ('08', '12', '08', '04', '03', '2026-11-02 10:00Z', true,  'r',  '{"negotiations":[{"start_time":"2026-11-02T10:00:00Z","end_time":"2026-11-02T10:00:05Z","status":"connected"}],"detected_tcp":true}'),
 ('09', '09', '06', '01', '02', '2026-11-03 09:00Z', true,  'r',  '{"negotiations":[{"start_time":"2026-11-03T09:00:00Z","end_time":"2026-11-03T09:00:09Z","status":"connected","type":"initial"}]}'),
 ('10', '06', '04', '02', '01', '2026-11-02 15:00Z', false, 'r',  '{"negotiations":[{"start_time":"2026-11-02T15:00:00Z","end_time":"2026-11-02T15:00:09Z","status":"connected","type":"initial"}]}'),
 ('11', '10', '07', '06', '01', '2026-11-01 00:31Z', true,  's',  '{"negotiations":[{"start_time":"2026-11-01T00:31:00Z","end_time":"2026-11-01T00:31:02Z","status":"connected","type":"initial"}]}'),
 ('12', '11', '08', '03', '01', '2026-11-02 10:00Z', true,  'h',  '{"negotiations":[{"start_time":"yesterday","end_time":"2026-11-02T10:00:01Z","status":"connected","type":"initial"}]}'),
 ('13', '13', '10', '07', '01', '2026-11-02 11:00Z', true,  'h',  '{"negotiations":"broken"}')
) AS k(n, sess, conf, part, peer, created, active, type, info);

-- Issues: (issue, session, conference or NULL, connection or NULL, active, type, code, data)
INSERT INTO app_issue (id, created_at, is_active, type, code, data, session_id, conference_id, connection_id)
SELECT ('00000000-0000-4000-8000-000000000f' || i.n)::uuid, i.created::timestamptz, i.active, i.type, i.code, i.data::jsonb,
       ('00000000-0000-4000-8000-000000000d' || i.sess)::uuid,
       ('00000000-0000-4000-8000-000000000c' || i.conf)::uuid,
       ('00000000-0000-4000-8000-000000000e' || i.conn)::uuid
FROM (VALUES
 ('01', '01', '01',  '01',  '2026-11-01 10:01Z', true,  'w', 'tcp_used',                NULL),
 ('02', '03', NULL,  '03',  '2026-11-01 12:00Z', true,  'w', 'icecandidateerror',       '{"errorCode":701}'),
 ('03', '04', NULL,  '04',  '2026-11-01 12:00Z', true,  'e', 'connection_failed',       NULL),
 ('04', '05', '03',  NULL,  '2026-11-02 09:01Z', true,  'e', 'ice_failed',              NULL),
 ('05', '08', NULL,  NULL,  '2026-11-03 08:01Z', true,  'e', 'no_connection',           NULL),
 ('06', '09', '06',  NULL,  '2026-11-03 09:01Z', true,  'e', 'ice_failed',              NULL),
 ('07', '11', '08',  NULL,  '2026-11-02 10:01Z', false, 'e', 'ice_failed',              NULL),
 ('08', '12', '08',  NULL,  '2026-11-02 10:01Z', true,  'e', 'no_media_access',         NULL),
 ('09', '02', '01',  NULL,  '2026-11-01 10:00Z', true,  'w', 'getusermedia_error',      '{"name":"NotAllowedError","message":"Permission denied"}'),
 ('10', '10', '07',  NULL,  '2026-11-01 00:30Z', true,  'w', 'getusermedia_error',      '"legacy string"'),
 ('11', '06', NULL,  '10',  '2026-11-02 15:00Z', true,  'w', 'turn_used',               NULL)
) AS i(n, sess, conf, conn, created, active, type, code, data);
