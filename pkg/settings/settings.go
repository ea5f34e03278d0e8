// Package settings reads a data source's configuration (SPEC §2): the PostgreSQL connection, the
// Redis cache, the scope of apps the data source may read, cache TTLs, pre-warming and the quality
// thresholds. Secrets come only from DecryptedSecureJSONData and are never part of a string this
// package returns, so they cannot reach a log line or an error.
package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Settings is one data source's configuration with defaults applied.
type Settings struct {
	Host                string   `json:"host"`
	Database            string   `json:"database"`
	User                string   `json:"user"`
	SSLMode             string   `json:"sslMode"`
	MaxConns            int      `json:"maxConns"`
	QueryTimeoutSeconds int      `json:"queryTimeoutSeconds"`
	RedisAddresses      []string `json:"redisAddresses"`
	RedisDB             int      `json:"redisDB"`
	RedisTLS            bool     `json:"redisTLS"`
	AppIDs              []string `json:"appIds"`
	OrganizationID      string   `json:"organizationId"`

	CacheLiveTTLSeconds     int  `json:"cacheLiveTTLSeconds"`
	CacheHistoricTTLSeconds int  `json:"cacheHistoricTTLSeconds"`
	Prewarm                 bool `json:"prewarm"`
	PrewarmIntervalSeconds  int  `json:"prewarmIntervalSeconds"`

	Thresholds Thresholds `json:"-"`

	// Secrets: set from DecryptedSecureJSONData only.
	Password      string `json:"-"`
	RedisPassword string `json:"-"`

	// UID and Updated identify the data source and its settings version for cache keys.
	UID     string    `json:"-"`
	Updated time.Time `json:"-"`
}

// Thresholds are the quality limits above (or, for MOS, below) which a sample counts as poor.
type Thresholds struct {
	LossPct  float64 `json:"lossPct"`
	RTTMs    float64 `json:"rttMs"`
	JitterMs float64 `json:"jitterMs"`
	MOS      float64 `json:"mos"`
}

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsUUID reports whether s is a textual uuid, the form of every Peermetrics id.
func IsUUID(s string) bool { return uuidRe.MatchString(s) }

// Load parses instance settings, applies defaults and validates them.
func Load(s backend.DataSourceInstanceSettings) (Settings, error) {
	var raw struct {
		Settings
		Prewarm *bool `json:"prewarm"`
		Thresholds
		// Grafana stores numbers typed in a UI as strings at times; accept both.
		MaxConns                flexInt   `json:"maxConns"`
		QueryTimeoutSeconds     flexInt   `json:"queryTimeoutSeconds"`
		RedisDB                 flexInt   `json:"redisDB"`
		CacheLiveTTLSeconds     flexInt   `json:"cacheLiveTTLSeconds"`
		CacheHistoricTTLSeconds flexInt   `json:"cacheHistoricTTLSeconds"`
		PrewarmIntervalSeconds  flexInt   `json:"prewarmIntervalSeconds"`
		LossPct                 flexFloat `json:"lossPct"`
		RTTMs                   flexFloat `json:"rttMs"`
		JitterMs                flexFloat `json:"jitterMs"`
		MOS                     flexFloat `json:"mos"`
		AppIDs                  flexList  `json:"appIds"`
		RedisAddresses          flexList  `json:"redisAddresses"`
	}
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, &raw); err != nil {
			return Settings{}, fmt.Errorf("the data source settings are not valid JSON: %w", err)
		}
	}
	out := raw.Settings
	out.MaxConns = int(raw.MaxConns)
	out.QueryTimeoutSeconds = int(raw.QueryTimeoutSeconds)
	out.RedisDB = int(raw.RedisDB)
	out.CacheLiveTTLSeconds = int(raw.CacheLiveTTLSeconds)
	out.CacheHistoricTTLSeconds = int(raw.CacheHistoricTTLSeconds)
	out.PrewarmIntervalSeconds = int(raw.PrewarmIntervalSeconds)
	out.Thresholds = Thresholds{LossPct: float64(raw.LossPct), RTTMs: float64(raw.RTTMs), JitterMs: float64(raw.JitterMs), MOS: float64(raw.MOS)}
	out.Prewarm = raw.Prewarm == nil || *raw.Prewarm
	out.AppIDs, out.RedisAddresses = raw.AppIDs, raw.RedisAddresses
	out.Password = s.DecryptedSecureJSONData["password"]
	out.RedisPassword = s.DecryptedSecureJSONData["redisPassword"]
	out.UID = s.UID
	out.Updated = s.Updated
	// Grafana's own PostgreSQL data source keeps host/database/user at the top level; accept them.
	if out.Host == "" {
		out.Host = s.URL
	}
	if out.Database == "" {
		out.Database = s.Database
	}
	if out.User == "" {
		out.User = s.User
	}
	out.applyDefaults()
	return out, out.validate()
}

func (s *Settings) applyDefaults() {
	if s.Host == "" {
		s.Host = "localhost:5432"
	}
	if s.Database == "" {
		s.Database = "peermetrics"
	}
	if s.User == "" {
		s.User = "postgres"
	}
	if s.SSLMode == "" {
		s.SSLMode = "disable"
	}
	if s.MaxConns == 0 {
		s.MaxConns = 10
	}
	if s.QueryTimeoutSeconds == 0 {
		s.QueryTimeoutSeconds = 30
	}
	if s.CacheLiveTTLSeconds == 0 {
		s.CacheLiveTTLSeconds = 60
	}
	if s.CacheHistoricTTLSeconds == 0 {
		s.CacheHistoricTTLSeconds = 3600
	}
	if s.PrewarmIntervalSeconds == 0 {
		s.PrewarmIntervalSeconds = 60
	}
	if s.Thresholds.LossPct == 0 {
		s.Thresholds.LossPct = 5
	}
	if s.Thresholds.RTTMs == 0 {
		s.Thresholds.RTTMs = 400
	}
	if s.Thresholds.JitterMs == 0 {
		s.Thresholds.JitterMs = 30
	}
	if s.Thresholds.MOS == 0 {
		s.Thresholds.MOS = 3.5
	}
	s.AppIDs = splitList(s.AppIDs, strings.ToLower)
	s.OrganizationID = strings.ToLower(strings.TrimSpace(s.OrganizationID))
	s.RedisAddresses = splitList(s.RedisAddresses, func(v string) string { return v })
}

// splitList accepts lists whose entries may themselves be comma-separated (as an environment
// variable in provisioning gives them), trimmed, without empty entries.
func splitList(in []string, norm func(string) string) []string {
	var out []string
	for _, a := range in {
		for _, part := range strings.Split(a, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, norm(part))
			}
		}
	}
	return out
}

func (s *Settings) validate() error {
	var errs []error
	switch s.SSLMode {
	case "disable", "require", "verify-ca", "verify-full":
	default:
		errs = append(errs, fmt.Errorf("sslMode %q is not one of disable, require, verify-ca, verify-full", s.SSLMode))
	}
	if _, _, err := s.hostPort(); err != nil {
		errs = append(errs, err)
	}
	if s.MaxConns < 1 || s.MaxConns > 1000 {
		errs = append(errs, fmt.Errorf("maxConns must be between 1 and 1000, not %d", s.MaxConns))
	}
	if s.QueryTimeoutSeconds < 1 || s.QueryTimeoutSeconds > 3600 {
		errs = append(errs, fmt.Errorf("queryTimeoutSeconds must be between 1 and 3600, not %d", s.QueryTimeoutSeconds))
	}
	if s.CacheLiveTTLSeconds < 1 || s.CacheHistoricTTLSeconds < 1 || s.PrewarmIntervalSeconds < 5 {
		errs = append(errs, errors.New("cache TTLs must be positive and prewarmIntervalSeconds at least 5"))
	}
	if s.RedisDB < 0 || s.RedisDB > 15 {
		errs = append(errs, fmt.Errorf("redisDB must be between 0 and 15, not %d", s.RedisDB))
	}
	for _, a := range s.AppIDs {
		if !IsUUID(a) {
			errs = append(errs, fmt.Errorf("app id %q in the scope is not a uuid", a))
		}
	}
	if s.OrganizationID != "" && !IsUUID(s.OrganizationID) {
		errs = append(errs, fmt.Errorf("organization id %q is not a uuid", s.OrganizationID))
	}
	t := s.Thresholds
	if t.LossPct < 0 || t.LossPct > 100 || t.RTTMs < 0 || t.JitterMs < 0 || t.MOS < 1 || t.MOS > 5 {
		errs = append(errs, errors.New("quality thresholds must be lossPct 0-100, rttMs and jitterMs ≥ 0, mos 1-5"))
	}
	return errors.Join(errs...)
}

func (s *Settings) hostPort() (string, int, error) {
	host, portStr, err := net.SplitHostPort(s.Host)
	if err != nil {
		// No port given: the PostgreSQL default.
		if strings.Contains(err.Error(), "missing port") {
			return strings.Trim(s.Host, "[]"), 5432, nil
		}
		return "", 0, fmt.Errorf("host %q is not host or host:port", s.Host)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("host %q has an invalid port", s.Host)
	}
	return host, port, nil
}

// Scoped reports whether the data source is limited to some apps or an organization.
func (s *Settings) Scoped() bool { return len(s.AppIDs) > 0 || s.OrganizationID != "" }

// QueryTimeout is the statement timeout of every query.
func (s *Settings) QueryTimeout() time.Duration {
	return time.Duration(s.QueryTimeoutSeconds) * time.Second
}

// PoolConfig builds the pgx pool configuration. Every session is read-only, in UTC, with the
// statement timeout, so a query can neither write nor run forever even if the plugin had a bug.
func (s *Settings) PoolConfig() (*pgxpool.Config, error) {
	host, port, err := s.hostPort()
	if err != nil {
		return nil, err
	}
	dsn := fmt.Sprintf("host=%s port=%d dbname=%s user=%s sslmode=%s connect_timeout=5",
		quoteDSN(host), port, quoteDSN(s.Database), quoteDSN(s.User), s.SSLMode)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("connection settings for %s are invalid: %w", s.Host, err)
	}
	// The password goes into the config, never into a string that an error could echo.
	cfg.ConnConfig.Password = s.Password
	cfg.MaxConns = int32(s.MaxConns)
	cfg.MinConns = 0
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 30 * time.Second
	rp := cfg.ConnConfig.RuntimeParams
	rp["application_name"] = "grafana-peermetrics-datasource"
	rp["default_transaction_read_only"] = "on"
	rp["statement_timeout"] = strconv.Itoa(s.QueryTimeoutSeconds * 1000)
	rp["TimeZone"] = "UTC"
	// JIT compiles the long JSON expressions of the stats statements for seconds (measured: 17.7 s of
	// a 20 s quality query on the tiny profile) and never pays that back at this data size.
	rp["jit"] = "off"
	// pgx prepares and caches each statement per connection; after five executions PostgreSQL may
	// switch a prepared statement to a generic plan, planned without the time range's values. The
	// plugin runs the same texts over and over (panels, pre-warming) with moving ranges, and those
	// generic plans were 1.2-2.5x slower (7 days of seed7 on one connection: conferences 80-120 ->
	// 195-300 ms, setup times 110-125 -> 165-190 ms, breakdown 225-250 -> 270-295 ms). Planning each
	// execution costs 0.5-2 ms.
	rp["plan_cache_mode"] = "force_custom_plan"
	return cfg, nil
}

func quoteDSN(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != float64(int(v)) {
		return fmt.Errorf("%s is not a whole number", b)
	}
	*f = flexInt(v)
	return nil
}

type flexFloat float64

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	*f = flexFloat(v)
	return nil
}

// flexList accepts a list of strings or one (comma-separated) string, as provisioning from an
// environment variable gives it.
type flexList []string

func (f *flexList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*f = flexList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("%s is not a list of strings", b)
	}
	*f = many
	return nil
}
