package xoxe

import (
	"sync"
	"sync/atomic"
	"time"
)

// reuseTable is what [Pool.Get] keeps for reuse: chain name -> *reuseEntry,
// each entry the chain's latest token with the library's deadline for handing
// it out again (nil when there is none to hand out).
//
// It is read on every Get and written rarely: an entry's token is replaced in
// the entry (an atomic pointer), so the set of names changes only when a chain
// is first kept or a full table is swept. Reads therefore go to an immutable
// Go map behind an atomic pointer (ro): one map lookup, no lock, no shared
// write. New names wait in dirty, under mu, until they are merged into a new
// ro — when dirty has grown to half of ro, or has answered a quarter as many
// lookups as the table holds names — so the copying stays proportional to the
// names added and the lookups made (a name got right after it is added, over
// and over, does not copy the table each time). (A
// sync.Map, or shards of maps under RWMutexes, cost several times more per
// read over 100 000 chains: more cache lines touched per lookup, and every
// RLock writes a shared counter; see BenchmarkReuseTableLookup.)
//
// The table keeps at most limit names: the pool's max_chains_in_memory, the
// option the binding passed, or, when the pool was made with the library's
// default, what the library reports it holds (xoxe_pool_stats) — asked when
// the table fills, so it grows as the library's pool grows and never restates
// the library's default. A chain beyond the bound is simply not kept: its Get
// calls the library. After limit/4 such refusals the table is swept of the
// names whose deadline has passed, so a pool whose chains come and go keeps
// the ones in use.
type reuseTable struct {
	ro atomic.Pointer[map[string]*reuseEntry] // never written once published
	// gen counts invalidations (forget): a Get whose library call overlapped
	// one does not keep its token (keepReusable).
	gen      atomic.Uint64
	hasDirty atomic.Bool // len(dirty) > 0: lookups that miss ro look there

	mu        sync.Mutex
	dirty     map[string]*reuseEntry
	dirtyHits int // lookups dirty answered since the last merge
	n         int // names in ro and dirty
	limit     int
	// held, when the pool was made with the library's default bound, reports
	// how many chains the library holds in memory (0 when it cannot say).
	held    func() int
	capped  bool // held did not raise limit: not asked again until a sweep
	refused int  // names refused since the last sweep
}

// reuseEntry is one chain's kept token: nil, or a *reusable that Get hands
// out while fresh (and whose Secret it hands out again when the library gives
// the same token).
type reuseEntry struct {
	p atomic.Pointer[reusable]
}

// newReuseTable keeps at most limit chains; with held non-nil the bound
// follows what held reports instead (limit 0).
func newReuseTable(limit int, held func() int) *reuseTable {
	t := &reuseTable{dirty: map[string]*reuseEntry{}, limit: limit, held: held}
	t.ro.Store(&map[string]*reuseEntry{})
	return t
}

// lookup returns chain's entry, or nil.
func (t *reuseTable) lookup(chain string) *reuseEntry {
	if e := (*t.ro.Load())[chain]; e != nil {
		return e
	}
	if !t.hasDirty.Load() {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := (*t.ro.Load())[chain]; e != nil { // merged meanwhile
		return e
	}
	e := t.dirty[chain]
	if e != nil {
		// Merged once the lookups that took the lock have paid for the copy.
		if t.dirtyHits++; t.dirtyHits > t.n/4 {
			t.mergeLocked()
		}
	}
	return e
}

// entry returns chain's entry, adding one when the bound allows (nil when not).
func (t *reuseTable) entry(chain string) *reuseEntry {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e := (*t.ro.Load())[chain]; e != nil {
		return e
	}
	if e := t.dirty[chain]; e != nil {
		return e
	}
	if t.n >= t.limit && !t.makeRoomLocked() {
		return nil
	}
	e := &reuseEntry{}
	t.dirty[chain] = e
	t.n++
	t.hasDirty.Store(true)
	if len(t.dirty) > len(*t.ro.Load())/2+8 {
		t.mergeLocked()
	}
	return e
}

// makeRoomLocked tries to make room for one more name: a higher bound from
// held, or a sweep once enough names have been refused.
func (t *reuseTable) makeRoomLocked() bool {
	if t.held != nil && !t.capped {
		if h := t.held(); h > t.limit {
			t.limit = h
			if t.n < t.limit {
				return true
			}
		}
		t.capped = true
	}
	if t.refused++; t.refused < max(t.limit/4, 1) {
		return false
	}
	t.refused, t.capped = 0, false
	t.sweepLocked(time.Now().UnixMilli())
	return t.n < t.limit
}

// mergeLocked publishes ro and dirty as the new ro.
func (t *reuseTable) mergeLocked() {
	old := *t.ro.Load()
	m := make(map[string]*reuseEntry, len(old)+len(t.dirty))
	for k, e := range old {
		m[k] = e
	}
	for k, e := range t.dirty {
		m[k] = e
	}
	t.publishLocked(m)
}

// sweepLocked publishes a new ro of the names whose token is still fresh at
// nowMS. A Get that holds a dropped entry may still store into it; nobody
// reads it again.
func (t *reuseTable) sweepLocked(nowMS int64) {
	m := make(map[string]*reuseEntry, t.n)
	keep := func(k string, e *reuseEntry) {
		if u := e.p.Load(); u != nil && nowMS < u.untilMS {
			m[k] = e
		}
	}
	for k, e := range *t.ro.Load() {
		keep(k, e)
	}
	for k, e := range t.dirty {
		keep(k, e)
	}
	t.publishLocked(m)
}

func (t *reuseTable) publishLocked(m map[string]*reuseEntry) {
	t.ro.Store(&m)
	t.n = len(m)
	clear(t.dirty)
	t.dirtyHits = 0
	t.hasDirty.Store(false)
}

// forget ends the reuse of chain's token, also for a Get in flight.
func (t *reuseTable) forget(chain string) {
	t.gen.Add(1)
	if e := t.lookup(chain); e != nil {
		e.p.Store(nil)
	}
}

// size is how many names the table holds, and its bound.
func (t *reuseTable) size() (n, limit int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n, t.limit
}
