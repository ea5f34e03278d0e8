package plugin

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisClient returns the shared cache client, or nil when no Redis is configured. go-redis
// reconnects by itself after an outage, so one client lives as long as the instance.
func (d *Datasource) redisClient() redis.UniversalClient {
	d.redisOnce.Do(func() {
		s := d.settings
		if len(s.RedisAddresses) == 0 {
			return
		}
		opts := &redis.UniversalOptions{
			Addrs:    s.RedisAddresses,
			Password: s.RedisPassword,
			DB:       s.RedisDB,
			// Short timeouts: a slow or unreachable Redis must cost a query little before it goes to
			// PostgreSQL; the cache's circuit breaker then skips Redis for a few seconds.
			DialTimeout:           time.Second,
			ReadTimeout:           500 * time.Millisecond,
			WriteTimeout:          500 * time.Millisecond,
			PoolTimeout:           time.Second,
			ContextTimeoutEnabled: true,
			MaxRetries:            1,
			// Several addresses mean a Redis Cluster (SPEC §2).
			IsClusterMode: len(s.RedisAddresses) > 1,
		}
		if s.RedisTLS {
			opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		d.redis = redis.NewUniversalClient(opts)
	})
	return d.redis
}

// checkRedis pings Redis when configured; an empty string means healthy or not configured.
func (d *Datasource) checkRedis(ctx context.Context) string {
	c := d.redisClient()
	if c == nil {
		return ""
	}
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Sprintf("Redis at %s is unreachable (%s): the data source is degraded, queries are answered from PostgreSQL without the shared cache.",
			strings.Join(d.settings.RedisAddresses, ", "), redisCause(err, d.settings.RedisPassword))
	}
	return ""
}

// redisCause keeps a Redis error readable and free of the password even if a server echoed it.
func redisCause(err error, password string) string {
	msg := err.Error()
	if password != "" {
		msg = strings.ReplaceAll(msg, password, "[redacted]")
	}
	return msg
}
