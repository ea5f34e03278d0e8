-- A hand-counted fixture for the lists, variables and resources: every expected number in
-- lists_test.go and plugin/resource_test.go is counted from fixture.sql plus this file by hand (see
-- the comments there). This file holds only the additions: its loaders run fixture.sql first.
-- ids: organizations ...0a0N, apps ...0a1N, conferences ...0c0N, participants ...0b0N,
-- sessions ...0d0N (two digits), connections ...0e0N, issues ...0f0N.

-- ===== Additions for the lists (not in fixture.sql) =====
-- SFU participants of the SDK integrations (app one).
INSERT INTO participant (id, created_at, is_active, participant_id, participant_name, is_sfu, app_id) VALUES
 ('00000000-0000-4000-8000-000000000b10', '2026-01-01Z', true, 'jitsi-sfu-server-p2p',         NULL, true, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b11', '2026-01-01Z', true, 'jitsi-sfu-server-jvb',         NULL, true, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b12', '2026-01-01Z', true, 'livekit-sfu-server-outbound',  NULL, true, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000b13', '2026-01-01Z', true, 'livekit-sfu-server-transport', NULL, true, '00000000-0000-4000-8000-000000000a11');

-- C11 "Flaky": several issues of one code. C12 "Jitsi call": a Jitsi user with a P2P and a JVB
-- connection. C13 (app three, other organization) reuses the app's conference id "c12".
INSERT INTO conference (id, created_at, is_active, conference_id, conference_name, conference_info, start_time, end_time, ongoing, duration, app_id) VALUES
 ('00000000-0000-4000-8000-000000000c11', '2026-11-03 12:00Z', true, 'c11', 'Flaky',      '{}', '2026-11-03 12:00Z', '2026-11-03 12:10Z', false, 600,  '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c12', '2026-11-03 14:00Z', true, 'c12', 'Jitsi call', '{}', '2026-11-03 14:00Z', '2026-11-03 14:20Z', false, 1200, '00000000-0000-4000-8000-000000000a11'),
 ('00000000-0000-4000-8000-000000000c13', '2026-11-03 14:00Z', true, 'c12', 'Other c12',  '{}', '2026-11-03 14:00Z', '2026-11-03 14:05Z', false, 300,  '00000000-0000-4000-8000-000000000a13');

INSERT INTO app_session (id, created_at, is_active, constraints, devices, platform, metadata, geo_ip, session_info, app_version, webrtc_sdk, duration, end_time, conference_id, participant_id) VALUES
 ('00000000-0000-4000-8000-000000000d15', '2026-11-03 12:00Z', true, '{}', '[]',
  '{"browser":{"name":"Chrome"},"os":{"name":"Windows"}}', '{}', '{"country_code":"US"}', '{}', '1.0', NULL, 600, NULL,
  '00000000-0000-4000-8000-000000000c11', '00000000-0000-4000-8000-000000000b01'),
 ('00000000-0000-4000-8000-000000000d16', '2026-11-03 14:00Z', true, '{}', '{}',
  '{"browser":{"name":"Chrome","version":"120.0"},"os":{"name":"Windows","version":"10"}}', '{"room":"blue","attempt":2}',
  '{"country_code":"US","city":"Boston"}', '{}', '2.1', 'jitsi', 1200, '2026-11-03 14:20Z',
  '00000000-0000-4000-8000-000000000c12', '00000000-0000-4000-8000-000000000b01'),
 ('00000000-0000-4000-8000-000000000d17', '2026-11-03 14:01Z', true, '{}',
  '[{"deviceId":"a","kind":"audioinput","groupId":"g","label":"Mic"},{"deviceId":"v","kind":"videoinput","groupId":"g","label":"Cam"},{"deviceId":"o","kind":"audiooutput","groupId":"g","label":"Speakers"},{"deviceId":"a2","kind":"audioinput","groupId":"g","label":"Headset"}]',
  '{"browser":{"name":"Firefox","version":"121"},"os":{"name":"Mac OS","version":"14"}}', '{}',
  '{"country_code":"DE","city":"Berlin"}', '{}', '2.1', 'jitsi', 1140, NULL,
  '00000000-0000-4000-8000-000000000c12', '00000000-0000-4000-8000-000000000b03'),
 ('00000000-0000-4000-8000-000000000d18', '2026-11-03 14:00Z', true, '{}', '[]',
  '{"browser":{"name":"Opera"},"os":{"name":"Windows"}}', '{}', '{"country_code":"NO"}', '{}', '9.9', NULL, 300, NULL,
  '00000000-0000-4000-8000-000000000c13', '00000000-0000-4000-8000-000000000b08');

INSERT INTO app_connection (id, created_at, is_active, type, state, connection_info, duration, session_id, conference_id, participant_id, peer_id) VALUES
 -- K15: setup 250 ms; three negotiations, one failed.
 ('00000000-0000-4000-8000-000000000e15', '2026-11-03 12:00Z', true, 'h', 'connected',
  '{"negotiations":[{"start_time":"2026-11-03T12:00:00Z","end_time":"2026-11-03T12:00:00.250Z","status":"connected","type":"initial"},{"start_time":"2026-11-03T12:01:00Z","end_time":null,"status":"failed","type":"renegotiation"},{"start_time":"2026-11-03T12:02:00Z","end_time":"2026-11-03T12:02:01Z","status":"connected","type":"renegotiation"}]}',
  600, '00000000-0000-4000-8000-000000000d15', '00000000-0000-4000-8000-000000000c11', '00000000-0000-4000-8000-000000000b01', '00000000-0000-4000-8000-000000000b02'),
 -- Ann's Jitsi P2P (K16, setup 400 ms) and JVB (K17, failed first negotiation) connections; Cid's JVB (K18).
 ('00000000-0000-4000-8000-000000000e16', '2026-11-03 14:00:01Z', true, 'h', 'connected',
  '{"negotiations":[{"start_time":"2026-11-03T14:00:01Z","end_time":"2026-11-03T14:00:01.400Z","status":"connected","type":"initial"}]}',
  1000, '00000000-0000-4000-8000-000000000d16', '00000000-0000-4000-8000-000000000c12', '00000000-0000-4000-8000-000000000b01', '00000000-0000-4000-8000-000000000b10'),
 ('00000000-0000-4000-8000-000000000e17', '2026-11-03 14:00:02Z', true, 'r', 'failed',
  '{"negotiations":[{"start_time":"2026-11-03T14:00:02Z","end_time":null,"status":"failed","type":"initial"}]}',
  0, '00000000-0000-4000-8000-000000000d16', '00000000-0000-4000-8000-000000000c12', '00000000-0000-4000-8000-000000000b01', '00000000-0000-4000-8000-000000000b11'),
 ('00000000-0000-4000-8000-000000000e18', '2026-11-03 14:01:01Z', true, 's', 'connected', '{}',
  1100, '00000000-0000-4000-8000-000000000d17', '00000000-0000-4000-8000-000000000c12', '00000000-0000-4000-8000-000000000b03', '00000000-0000-4000-8000-000000000b11'),
 -- Dee's LiveKit publisher (K19) and transport (K20) connections in C3, beside K5 (subscriber).
 ('00000000-0000-4000-8000-000000000e19', '2026-11-02 09:00:01Z', true, 'r', 'connected', '{}',
  0, '00000000-0000-4000-8000-000000000d05', '00000000-0000-4000-8000-000000000c03', '00000000-0000-4000-8000-000000000b04', '00000000-0000-4000-8000-000000000b12'),
 ('00000000-0000-4000-8000-000000000e20', '2026-11-02 09:00:02Z', true, NULL, 'new', '{}',
  0, '00000000-0000-4000-8000-000000000d05', '00000000-0000-4000-8000-000000000c03', '00000000-0000-4000-8000-000000000b04', '00000000-0000-4000-8000-000000000b13');

INSERT INTO app_issue (id, created_at, is_active, type, code, data, session_id, conference_id, connection_id) VALUES
 -- Three connection_disconnected in C11: by conference_id, through the connection, through the session.
 ('00000000-0000-4000-8000-000000000f12', '2026-11-03 12:01Z', true, 'w', 'connection_disconnected', NULL,
  '00000000-0000-4000-8000-000000000d15', '00000000-0000-4000-8000-000000000c11', '00000000-0000-4000-8000-000000000e15'),
 ('00000000-0000-4000-8000-000000000f13', '2026-11-03 12:02Z', true, 'w', 'connection_disconnected', NULL,
  '00000000-0000-4000-8000-000000000d15', NULL, '00000000-0000-4000-8000-000000000e15'),
 ('00000000-0000-4000-8000-000000000f14', '2026-11-03 12:03Z', true, 'w', 'connection_disconnected', 'null',
  '00000000-0000-4000-8000-000000000d15', NULL, NULL),
 ('00000000-0000-4000-8000-000000000f15', '2026-11-03 12:04Z', true, 'e', 'connection_failed', NULL,
  '00000000-0000-4000-8000-000000000d15', NULL, '00000000-0000-4000-8000-000000000e15'),
 ('00000000-0000-4000-8000-000000000f16', '2026-11-03 14:00:03Z', true, 'w', 'turn_used', NULL,
  '00000000-0000-4000-8000-000000000d16', NULL, '00000000-0000-4000-8000-000000000e17'),
 ('00000000-0000-4000-8000-000000000f17', '2026-11-03 14:01Z', true, 'w', 'getusermedia_error', '["NotFoundError","Requested device not found"]',
  '00000000-0000-4000-8000-000000000d17', '00000000-0000-4000-8000-000000000c12', NULL);

-- Events of C12: (id, time, active, type, category, data, session, participant, connection)
INSERT INTO app_genericevent (id, created_at, is_active, type, category, data, app_id, conference_id, participant_id, session_id, peer_id, connection_id, track_id)
SELECT ('00000000-0000-4000-8000-00000001a0' || e.n)::uuid, e.created::timestamptz, e.active, e.type, e.cat, e.data::jsonb,
       '00000000-0000-4000-8000-000000000a11', '00000000-0000-4000-8000-000000000c12',
       ('00000000-0000-4000-8000-000000000b' || e.part)::uuid, ('00000000-0000-4000-8000-000000000d' || e.sess)::uuid,
       NULL, ('00000000-0000-4000-8000-000000000e' || e.conn)::uuid, NULL
FROM (VALUES
 ('01', '2026-11-03 14:00:00.5Z', true,  'getUserMedia',            'M', '{"constraints":{"audio":true},"error":{"name":"NotAllowedError","message":"Permission denied"}}', '16', '01', NULL),
 ('02', '2026-11-03 14:00:01.5Z', true,  'onconnectionstatechange', 'C', '{"connectionState":"connected"}', '16', '01', '16'),
 ('03', '2026-11-03 14:00:05Z',   true,  'stats',                   'S', '{"connection":{}}', '16', '01', '16'),
 ('04', '2026-11-03 14:01:02Z',   true,  'jitsiUserJoined',         'B', '{"id":"p3","displayName":"Cid"}', '16', '01', NULL),
 ('05', '2026-11-03 14:00:06Z',   false, 'onconnectionstatechange', 'C', '{"connectionState":"disconnected"}', '16', '01', '16'),
 ('06', '2026-11-03 14:01:00.5Z', true,  'getUserMedia',            'M', '{"audio":[{"id":"x"}],"video":[{"id":"y"}]}', '17', '03', NULL),
 ('07', '2026-11-03 14:01:03Z',   true,  'tabfocus',                'B', '"legacy"', '17', '03', NULL),
 ('08', '2026-11-03 14:01:04Z',   true,  'onicecandidateerror',     'C', '{"errorCode":701,"errorText":"STUN host lookup received error.","url":"stun:x"}', '17', '03', '18')
) AS e(n, created, active, type, cat, data, sess, part, conn);
