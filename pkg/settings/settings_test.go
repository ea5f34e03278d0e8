package settings

import (
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

func load(t *testing.T, js string, secrets map[string]string) (Settings, error) {
	t.Helper()
	return Load(backend.DataSourceInstanceSettings{UID: "u", JSONData: []byte(js), DecryptedSecureJSONData: secrets, Updated: time.Unix(1, 0)})
}

func TestDefaults(t *testing.T) {
	s, err := load(t, `{}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{Host: "localhost:5432", Database: "peermetrics", User: "postgres", SSLMode: "disable", MaxConns: 10,
		QueryTimeoutSeconds: 30, CacheLiveTTLSeconds: 60, CacheHistoricTTLSeconds: 3600, Prewarm: true, PrewarmIntervalSeconds: 60,
		Thresholds: Thresholds{LossPct: 5, RTTMs: 400, JitterMs: 30, MOS: 3.5}}
	if s.Host != want.Host || s.Database != want.Database || s.User != want.User || s.SSLMode != want.SSLMode ||
		s.MaxConns != want.MaxConns || s.QueryTimeoutSeconds != want.QueryTimeoutSeconds || s.CacheLiveTTLSeconds != 60 ||
		s.CacheHistoricTTLSeconds != 3600 || !s.Prewarm || s.PrewarmIntervalSeconds != 60 || s.Thresholds != want.Thresholds {
		t.Errorf("defaults = %+v", s)
	}
	if s.Scoped() {
		t.Error("empty scope reported as scoped")
	}
}

func TestListsFromStringsAndNumbersFromStrings(t *testing.T) {
	s, err := load(t, `{"appIds":"00000000-0000-4000-8000-000000000A11, 00000000-0000-4000-8000-000000000a12",
		"redisAddresses":["r1:6379,r2:6379"," r3:6379 "],"maxConns":"20","prewarm":false,"mos":"3.1"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(s.AppIDs, " ") != "00000000-0000-4000-8000-000000000a11 00000000-0000-4000-8000-000000000a12" {
		t.Errorf("appIds = %v", s.AppIDs)
	}
	if strings.Join(s.RedisAddresses, " ") != "r1:6379 r2:6379 r3:6379" {
		t.Errorf("redisAddresses = %v", s.RedisAddresses)
	}
	if s.MaxConns != 20 || s.Prewarm || s.Thresholds.MOS != 3.1 {
		t.Errorf("parsed %+v", s)
	}
}

func TestInvalidSettingsNameTheProblem(t *testing.T) {
	for js, part := range map[string]string{
		`{"sslMode":"maybe"}`:        `sslMode "maybe"`,
		`{"appIds":["app-1"]}`:       `app id "app-1"`,
		`{"maxConns":0.5}`:           "whole number",
		`{"host":"db:99999"}`:        "invalid port",
		`{"mos":7}`:                  "mos 1-5",
		`{"organizationId":"org"}`:   `organization id "org"`,
		`{"queryTimeoutSeconds":-1}`: "queryTimeoutSeconds",
	} {
		_, err := load(t, js, nil)
		if err == nil || !strings.Contains(err.Error(), part) {
			t.Errorf("%s: error %v, want it to mention %q", js, err, part)
		}
	}
}

// The password goes into the pool configuration and nowhere else.
func TestPoolConfigKeepsThePasswordOutOfStrings(t *testing.T) {
	s, err := load(t, `{"host":"db.example:6432","database":"pm","user":"grafana","sslMode":"require","queryTimeoutSeconds":12}`,
		map[string]string{"password": "pa'ss w\\rd", "redisPassword": "r"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.PoolConfig()
	if err != nil {
		t.Fatal(err)
	}
	cc := cfg.ConnConfig
	if cc.Host != "db.example" || cc.Port != 6432 || cc.Database != "pm" || cc.User != "grafana" || cc.Password != "pa'ss w\\rd" {
		t.Errorf("conn config %s:%d %s %s", cc.Host, cc.Port, cc.Database, cc.User)
	}
	if cc.RuntimeParams["default_transaction_read_only"] != "on" || cc.RuntimeParams["statement_timeout"] != "12000" ||
		cc.RuntimeParams["jit"] != "off" || cc.RuntimeParams["plan_cache_mode"] != "force_custom_plan" {
		t.Errorf("runtime params %v", cc.RuntimeParams)
	}
	if strings.Contains(cfg.ConnString(), "pa'ss") {
		t.Error("the connection string contains the password")
	}
}
