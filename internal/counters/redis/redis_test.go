package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gatehouse-dev/gatehouse/internal/counters"
	"github.com/gatehouse-dev/gatehouse/internal/counters/counterstest"
	"github.com/gatehouse-dev/gatehouse/internal/counters/redis"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlite"
)

// testURL is the Redis the tests use: GATEHOUSE_TEST_REDIS, else the
// machine's (.ci/run starts it when it is down).
func testURL() string {
	if u := os.Getenv("GATEHOUSE_TEST_REDIS"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// needRedis returns a client of the test Redis, or skips the test when
// none answers — except under CI=true, where that fails.
func needRedis(t *testing.T) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(testURL())
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis at %s does not answer (CI needs it; .ci/run starts it): %v", testURL(), err)
		}
		t.Skipf("no Redis at %s (%v): start one (redis-server --port 6379) or set GATEHOUSE_TEST_REDIS; CI=true fails instead", testURL(), err)
	}
	return c
}

// newPrefix returns a fresh key prefix whose keys are deleted when t ends.
func newPrefix(t *testing.T, c *goredis.Client) string {
	t.Helper()
	var b [8]byte
	rand.Read(b[:])
	prefix := "gatehouse-test:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("scan test keys: %v", err)
			return
		}
		if len(keys) > 0 {
			if err := c.Del(ctx, keys...).Err(); err != nil {
				t.Errorf("delete test keys: %v", err)
			}
		}
	})
	return prefix
}

func newStore(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// open opens a backend with prefix over st through counters.Open, as a
// node does.
func open(t *testing.T, st store.Store, prefix string) counters.Backend {
	t.Helper()
	b, err := counters.Open(context.Background(), testURL(), counters.Options{Store: st, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The Redis backend passes the conformance suite: each store gets its own
// prefix, so a backend opened again over the same store is a restarted
// node of the same cluster.
func TestConformance(t *testing.T) {
	c := needRedis(t)
	var (
		mu       sync.Mutex
		prefixes = map[store.Store]string{}
	)
	counterstest.Run(t, counterstest.Setup{
		Store: func(t *testing.T) store.Store {
			st := newStore(t)
			mu.Lock()
			prefixes[st] = newPrefix(t, c)
			mu.Unlock()
			return st
		},
		Open: func(t *testing.T, st store.Store) counters.Backend {
			mu.Lock()
			prefix, ok := prefixes[st]
			if !ok { // a wrapper of a store: its own cluster
				prefix = newPrefix(t, c)
				prefixes[st] = prefix
			}
			mu.Unlock()
			return open(t, st, prefix)
		},
	})
}

var _ = redis.DefaultLeaseMax
