package xoxe

// Benchmarks of the pool's hot paths (go test -run '^$' -bench Pool) and of
// the map that keeps its reusable tokens against the alternatives
// (-bench ReuseTable). None of them needs the fake Slack: every token is fresh.

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchPool is a pool over n fresh chains, each got twice (so each is kept),
// and their names.
func benchPool(b *testing.B, n int, opts ...PoolOption) (*Pool, []string) {
	b.Helper()
	client, err := NewClient(WithBaseURL("http://127.0.0.1:9/api/")) // never called
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Close() })
	store, err := NewMemoryStore()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	expires := time.Now().Add(6 * time.Hour)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("bot:-:T%08X", i+1)
		s, err := store.OpenChain(names[i])
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Init(ChainConfig, fmt.Sprintf("xoxe-1-%040d", i), fmt.Sprintf("xoxe.xoxp-1-%040d", i), expires, false); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	pool, err := NewPool(client, store, "", "", append([]PoolOption{WithMaxChainsInMemory(n)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pool.Close() })
	for _, name := range names {
		for range 2 {
			if _, _, err := pool.Get(name); err != nil {
				b.Fatal(err)
			}
		}
	}
	return pool, names
}

// randomOrder is 1<<20 names picked at random.
func randomOrder(names []string) []string {
	r := rand.New(rand.NewPCG(17, 17))
	order := make([]string, 1<<20)
	for i := range order {
		order[i] = names[r.IntN(len(names))]
	}
	return order
}

func BenchmarkPoolGet(b *testing.B) {
	b.Run("kept/one-chain", func(b *testing.B) {
		pool, names := benchPool(b, 1)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, _, err := pool.Get(names[0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kept/random-of-100000", func(b *testing.B) {
		pool, names := benchPool(b, 100_000)
		order := randomOrder(names)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			if _, _, err := pool.Get(order[i&(len(order)-1)]); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The library call a Get makes once a kept token's deadline has passed:
	// the same token comes back, and its Secret is handed out again.
	b.Run("deadline-passed/one-chain", func(b *testing.B) {
		pool, names := benchPool(b, 1)
		t := pool.reuse.Load()
		e := t.lookup(names[0])
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, _, err := pool.get(names[0], t, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A chain beyond the bound: nothing kept, a library call and a new Secret
	// every time.
	b.Run("not-kept/one-chain", func(b *testing.B) {
		pool, names := benchPool(b, 1)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, _, err := pool.get(names[0], nil, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The reuse table against the other ways of keeping 100 000 chains' entries
// for a read-mostly load: a sync.Map, and 64 shards of maps under RWMutexes.
func BenchmarkReuseTableLookup(b *testing.B) {
	names := make([]string, 100_000)
	for i := range names {
		names[i] = fmt.Sprintf("bot:-:T%08X", i+1)
	}
	order := randomOrder(names)
	run := func(b *testing.B, lookup func(string) *reuseEntry) {
		var next atomic.Int64
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(1 << 16))
			for pb.Next() {
				if i++; lookup(order[i&(len(order)-1)]) == nil {
					b.Fatal("missing")
				}
			}
		})
	}
	b.Run("reuseTable", func(b *testing.B) {
		t := newReuseTable(len(names), nil)
		for _, n := range names {
			t.entry(n)
		}
		run(b, t.lookup)
	})
	b.Run("sync.Map", func(b *testing.B) {
		var m sync.Map
		for _, n := range names {
			m.Store(n, &reuseEntry{})
		}
		run(b, func(k string) *reuseEntry {
			e, _ := m.Load(k)
			return e.(*reuseEntry)
		})
	})
	b.Run("sharded-RWMutex", func(b *testing.B) {
		type shard struct {
			mu sync.RWMutex
			m  map[string]*reuseEntry
			_  [40]byte // a cache line each
		}
		var shards [64]shard
		seed := maphash.MakeSeed()
		for i := range shards {
			shards[i].m = map[string]*reuseEntry{}
		}
		for _, n := range names {
			shards[maphash.String(seed, n)%64].m[n] = &reuseEntry{}
		}
		run(b, func(k string) *reuseEntry {
			s := &shards[maphash.String(seed, k)%64]
			s.mu.RLock()
			defer s.mu.RUnlock()
			return s.m[k]
		})
	})
}
