-- The hand-counted fixture of aggregates_test.go: fixture.sql (same ids, same meaning) plus rows for the
-- aggregate query types: cities and coordinates, getUserMedia/getDisplayMedia errors of every legacy
-- shape, connection states and durations, stats rows, conferences C11 (long) and C12 (no session),
-- sessions S15-S17 (S17 is the LiveKit SFU's), connections K14-K17 and issues I12-I20. Every expected
-- number in aggregates_test.go is counted from this file by hand (see the comments there).
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
 ('00000000-0000-4000-8000-000000000c10', '2026-11-02 11:00Z', true,  'c10','App two',  '{}', '2026-11-02 11:00Z', '2026-11-02 11:01Z', false, 60,   '00000000-0000-4000-8000-000000000a12'),
 ('00000000-0000-4000-8000-000000000c11', '2026-11-03 12:00Z', true,  'c11','All hands','{}', '2026-11-03 12:00Z', '2026-11-03 13:00Z', false, 3600, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c12', '2026-11-03 14:00Z', true,  'c12','Empty',    '{}', '2026-11-03 14:00Z', '2026-11-03 14:11:40Z', false, 700, '00000000-0000-4000-8000-000000000a11');

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

-- Sessions: (session, conference, participant, created, active, browser, os, country, duration, sdk, city, latitude, longitude)
-- latitude/longitude are JSON text: a number, a string (older geo data) or NULL (key absent).
INSERT INTO app_session (id, created_at, is_active, constraints, devices, platform, metadata, geo_ip, session_info, app_version, webrtc_sdk, duration, conference_id, participant_id)
SELECT ('00000000-0000-4000-8000-000000000d' || s.n)::uuid, s.created::timestamptz, s.active, '{}', '[]',
       jsonb_build_object('browser', jsonb_build_object('name', s.browser), 'os', jsonb_build_object('name', s.os)),
       '{}', jsonb_strip_nulls(jsonb_build_object('country_code', s.country, 'city', s.city, 'latitude', s.lat::jsonb, 'longitude', s.lon::jsonb)),
       '{}', '1.0', s.sdk, s.duration,
       ('00000000-0000-4000-8000-000000000c' || s.conf)::uuid, ('00000000-0000-4000-8000-000000000b' || s.part)::uuid
FROM (VALUES
 ('01', '01', '01', '2026-11-01 10:00Z', true,  'Chrome',  'Windows',  'US', 120, NULL,      'New York', '40.71',   '-74.01'),
 ('02', '01', '02', '2026-11-01 10:00Z', true,  'Firefox', 'Mac OS',   'DE', 100, NULL,      'Berlin',   '52.52',   '13.40'),
 ('03', '02', '01', '2026-11-01 12:00Z', true,  'Chrome',  'Windows',  'US', 60,  NULL,      'New York', '40.73',   '-73.99'),
 ('04', '02', '03', '2026-11-01 12:00Z', true,  'Safari',  'iOS',      'US', 60,  NULL,      'Paris',    '33.66',   '-95.56'),
 ('05', '03', '04', '2026-11-02 09:00Z', true,  'Chrome',  'Linux',    'FR', 0,   'livekit', 'Paris',    '48.86',   '2.35'),
 ('06', '04', '02', '2026-11-02 15:00Z', true,  'Firefox', 'Mac OS',   'DE', 300, NULL,      'Berlin',   '52.50',   '13.42'),
 ('07', '04', '02', '2026-11-02 15:01Z', true,  'Firefox', 'Mac OS',   'DE', 200, NULL,      'Berlin',   '0',       '0'),
 ('08', '05', '05', '2026-11-03 08:00Z', true,  'Chrome',  'Linux',    'FR', 30,  NULL,      NULL,       NULL,      NULL),
 ('09', '06', '01', '2026-11-03 09:00Z', true,  'Chrome',  'Windows',  'US', 600, NULL,      'New York', '40.7',    '-74.0'),
 ('10', '07', '06', '2026-11-01 00:30Z', true,  'Edge',    'Windows',  'GB', 50,  NULL,      'London',   '51.5',    '-0.12'),
 ('11', '08', '03', '2026-11-02 10:00Z', true,  'Safari',  'iOS',      'US', 40,  NULL,      NULL,       NULL,      NULL),
 ('12', '08', '04', '2026-11-02 10:00Z', false, 'Chrome',  'Linux',    'FR', 40,  NULL,      'Lyon',     '45.76',   '4.83'),
 ('13', '10', '07', '2026-11-02 11:00Z', true,  'Chrome',  'Android',  'BR', 60,  NULL,      'Recife',   '-8.05',   '-34.9'),
 ('14', '09', '08', '2026-11-02 11:00Z', true,  'Chrome',  'Windows',  'US', 60,  NULL,      'New York', '40.7',    '-74.0'),
 ('15', '11', '01', '2026-11-03 12:00Z', true,  'Chrome',  'Windows',  'US', 1200,NULL,      'New York', '"40.75"', '"-74.00"'),
 ('16', '11', '05', '2026-11-03 12:05Z', true,  'Chrome',  'Linux',    'FR', 600, NULL,      'Paris',    NULL,      NULL),
 ('17', '03', '09', '2026-11-02 09:00Z', true,  NULL,      NULL,       NULL, 0,   'livekit', NULL,       NULL,      NULL)
) AS s(n, conf, part, created, active, browser, os, country, duration, sdk, city, lat, lon);

-- Connections: (connection, session, conference, participant, peer, created, active, type, state, duration, connection_info)
INSERT INTO app_connection (id, created_at, is_active, type, state, connection_info, duration, session_id, conference_id, participant_id, peer_id)
SELECT ('00000000-0000-4000-8000-000000000e' || k.n)::uuid, k.created::timestamptz, k.active, k.type, k.state, k.info::jsonb, k.duration,
       ('00000000-0000-4000-8000-000000000d' || k.sess)::uuid, ('00000000-0000-4000-8000-000000000c' || k.conf)::uuid,
       ('00000000-0000-4000-8000-000000000b' || k.part)::uuid, ('00000000-0000-4000-8000-000000000b' || k.peer)::uuid
FROM (VALUES
 ('01', '01', '01', '01', '02', '2026-11-01 10:00Z', true,  'h',  'connected', 100, '{"detected_tcp":true,"negotiations":[{"start_time":"2026-11-01T10:00:00.000Z","end_time":"2026-11-01T10:00:00.300Z","status":"connected","type":"initial"}]}'),
 ('02', '02', '01', '02', '01', '2026-11-01 10:00Z', true,  'r',  'closed',    90,  '{"negotiations":[{"start_time":"2026-11-01T10:00:00.000Z","end_time":"2026-11-01T10:00:01.200Z","status":"connected","type":"initial"}]}'),
 ('03', '03', '02', '01', '03', '2026-11-01 12:00Z', true,  's',  'failed',    0,   '{"negotiations":[{"start_time":"2026-11-01T12:00:00.000Z","end_time":null,"status":"failed","type":"initial"},{"start_time":"2026-11-01T12:00:05Z","end_time":"2026-11-01T12:00:06Z","status":"connected","type":"renegotiation"}]}'),
 ('04', '04', '02', '03', '01', '2026-11-01 12:00Z', true,  NULL, 'new',       0,   '{"detected_tcp":false}'),
 ('05', '05', '03', '04', '09', '2026-11-02 09:00Z', true,  'r',  'connected', 0,   '{"negotiations":[{"start_time":"2026-11-02T09:00:00Z","end_time":"2026-11-02T09:00:00.600Z","status":"connected","type":"initial"}]}'),
 ('06', '06', '04', '02', '01', '2026-11-02 15:00Z', true,  'h',  'closed',    250, '{"negotiations":[{"start_time":"2026-11-02T15:00:00Z","end_time":"2026-11-02T15:00:00.100Z","status":"connected","type":"initial"}]}'),
 ('07', '07', '04', '02', '01', '2026-11-02 15:01Z', true,  'p',  'connected', 0,   '{}'),
 ('09', '09', '06', '01', '02', '2026-11-03 09:00Z', true,  'r',  'closed',    500, '{"negotiations":[{"start_time":"2026-11-03T09:00:00Z","end_time":"2026-11-03T09:00:09Z","status":"connected","type":"initial"}]}'),
 ('10', '06', '04', '02', '01', '2026-11-02 15:00Z', false, 'r',  'failed',    0,   '{"negotiations":[{"start_time":"2026-11-02T15:00:00Z","end_time":"2026-11-02T15:00:09Z","status":"connected","type":"initial"}]}'),
 ('11', '10', '07', '06', '01', '2026-11-01 00:31Z', true,  's',  'closed',    40,  '{"negotiations":[{"start_time":"2026-11-01T00:31:00Z","end_time":"2026-11-01T00:31:02Z","status":"connected","type":"initial"}]}'),
 ('12', '11', '08', '03', '01', '2026-11-02 10:00Z', true,  'h',  'closed',    30,  '{"negotiations":[{"start_time":"yesterday","end_time":"2026-11-02T10:00:01Z","status":"connected","type":"initial"}]}'),
 ('13', '13', '10', '07', '01', '2026-11-02 11:00Z', true,  'h',  'closed',    60,  '{"negotiations":"broken"}'),
 ('14', '15', '11', '01', '05', '2026-11-03 12:00Z', true,  NULL, 'failed',    0,   '[]'),
 ('15', '14', '09', '08', '01', '2026-11-02 11:00Z', true,  'r',  'closed',    60,  '{"negotiations":[{"start_time":"2026-11-02T11:00:00Z","end_time":"2026-11-02T11:00:09Z","status":"connected","type":"initial"}]}'),
 ('17', '16', '11', '05', '01', '2026-11-03 12:05Z', true,  'r',  'closed',    3000,'{"negotiations":[{"start_time":"2026-11-03T12:05:00Z","end_time":"2026-11-03T12:05:06Z","status":"connected","type":"initial"}]}')
) AS k(n, sess, conf, part, peer, created, active, type, state, duration, info);

-- Issues: (issue, session, conference or NULL, connection or NULL, created, active, type, code, data)
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
 ('11', '06', NULL,  '10',  '2026-11-02 15:00Z', true,  'w', 'turn_used',               NULL),
 ('12', '03', '02',  NULL,  '2026-11-01 12:01Z', true,  'w', 'getusermedia_error',      '{"name":"NotAllowedError","message":"Dismissed"}'),
 ('13', '16', '11',  NULL,  '2026-11-03 12:05Z', true,  'w', 'getusermedia_error',      '{"name":"NotFoundError","message":"Requested device not found"}'),
 ('14', '08', '05',  NULL,  '2026-11-03 08:01Z', true,  'w', 'getusermedia_error',      '["NotAllowedError","legacy list"]'),
 ('15', '03', '02',  NULL,  '2026-11-01 12:02Z', true,  'w', 'getusermedia_error',      NULL),
 ('16', '16', '11',  NULL,  '2026-11-03 12:06Z', true,  'w', 'getusermedia_error',      'null'),
 ('17', '14', '09',  NULL,  '2026-11-02 11:00Z', true,  'w', 'getusermedia_error',      '{"name":"NotReadableError","message":"Device in use"}'),
 ('18', '06', NULL,  '06',  '2026-11-02 15:10Z', true,  'w', 'connection_disconnected', NULL),
 ('19', '03', NULL,  '03',  '2026-11-01 12:00Z', true,  'w', 'tcp_used',                NULL),
 ('20', '07', '04',  NULL,  '2026-11-02 15:20Z', true,  'e', 'custom_thing',            NULL)
) AS i(n, sess, conf, conn, created, active, type, code, data);

-- Events: (event, session, conference, participant, app, connection or NULL, created, active, type, category, data)
-- Ids ...0ee0N. Stats rows of K5 rise (1000 -> 5000 bytes received); K7's stay flat (its bytesSent is a
-- string, which is not a counter). getDisplayMedia: E01 an error, E02 a request, E03 a legacy error,
-- E04 an error in app three, E05 a soft-deleted error.
INSERT INTO app_genericevent (id, created_at, is_active, type, category, data, app_id, conference_id, participant_id, session_id, connection_id)
SELECT ('00000000-0000-4000-8000-0000000ee0' || e.n)::uuid, e.created::timestamptz, e.active, e.type, e.cat, e.data::jsonb,
       ('00000000-0000-4000-8000-000000000a' || e.app)::uuid,
       ('00000000-0000-4000-8000-000000000c' || e.conf)::uuid,
       ('00000000-0000-4000-8000-000000000b' || e.part)::uuid,
       ('00000000-0000-4000-8000-000000000d' || e.sess)::uuid,
       ('00000000-0000-4000-8000-000000000e' || e.conn)::uuid
FROM (VALUES
 ('01', '01', '01', '01', '11', NULL, '2026-11-01 10:05Z', true,  'getDisplayMedia', 'M', '{"error":{"name":"NotAllowedError","message":"Screen share denied"}}'),
 ('02', '01', '01', '01', '11', NULL, '2026-11-01 10:04Z', true,  'getDisplayMedia', 'M', '{"request":{"video":true}}'),
 ('03', '06', '04', '02', '11', NULL, '2026-11-02 15:02Z', true,  'getDisplayMedia', 'M', '{"error":"legacy"}'),
 ('04', '14', '09', '08', '13', NULL, '2026-11-02 11:02Z', true,  'getDisplayMedia', 'M', '{"error":{"name":"NotAllowedError","message":"Other app"}}'),
 ('05', '01', '01', '01', '11', NULL, '2026-11-01 10:06Z', false, 'getDisplayMedia', 'M', '{"error":{"name":"AbortError","message":"Deleted"}}'),
 ('06', '05', '03', '04', '11', '05', '2026-11-02 09:00:10Z', true, 'stats', 'S', '{"connection":{"bytesReceived":1000,"bytesSent":500}}'),
 ('07', '05', '03', '04', '11', '05', '2026-11-02 09:00:20Z', true, 'stats', 'S', '{"connection":{"bytesReceived":5000,"bytesSent":900}}'),
 ('08', '05', '03', '04', '11', '05', '2026-11-02 09:00:20Z', true, 'stats', 'S', '{"track":"t1"}'),
 ('09', '07', '04', '02', '11', '07', '2026-11-02 15:01:10Z', true, 'stats', 'S', '{"connection":{"bytesReceived":700,"bytesSent":"700"}}'),
 ('10', '07', '04', '02', '11', '07', '2026-11-02 15:01:20Z', true, 'stats', 'S', '{"connection":{"bytesReceived":700,"bytesSent":"900"}}')
) AS e(n, sess, conf, part, app, conn, created, active, type, cat, data);
