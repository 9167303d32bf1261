package xoxe

// Test hooks into the reuse of fresh tokens (reuse_test.go).

// SetReuse makes r's Get hand out secret until untilMS (Unix ms).
func SetReuse(r *Rotator, secret Secret, untilMS int64) {
	r.reuse.Store(&reusable{secret: secret, untilMS: untilMS})
}

// ReuseUntil is r's reuse deadline (0: none).
func ReuseUntil(r *Rotator) int64 {
	if u := r.reuse.Load(); u != nil {
		return u.untilMS
	}
	return 0
}

// SetPoolReuse makes p's Get(chain) hand out secret until untilMS (Unix ms),
// if p's bound lets it keep chain; it reports whether it did.
func SetPoolReuse(p *Pool, chain string, secret Secret, untilMS int64) bool {
	if t := p.reuse.Load(); t != nil {
		if e := t.entry(chain); e != nil {
			e.p.Store(&reusable{secret: secret, untilMS: untilMS})
			return true
		}
	}
	return false
}

// PoolReuseUntil is chain's reuse deadline in p (0: none).
func PoolReuseUntil(p *Pool, chain string) int64 {
	if t := p.reuse.Load(); t != nil {
		if e := t.lookup(chain); e != nil {
			if u := e.p.Load(); u != nil {
				return u.untilMS
			}
		}
	}
	return 0
}

// ReusedChains is how many chains p keeps an entry of, and the bound on it.
func ReusedChains(p *Pool) (n, limit int) {
	if t := p.reuse.Load(); t != nil {
		return t.size()
	}
	return 0, 0
}

// OnCalled makes every Pool.Get and Rotator.Get that called the library run f
// between the call and keeping its token, until the test ends.
func OnCalled(t interface{ Cleanup(func()) }, f func(owner any, chain string)) {
	testHookCalled.Store(&f)
	t.Cleanup(func() { testHookCalled.Store(nil) })
}

// SameSecret reports whether a and b are one Secret (not only equal values).
func SameSecret(a, b Secret) bool { return a.value == b.value }

// ExpirePoolReuse moves chain's reuse deadline in p to the past, keeping its token.
func ExpirePoolReuse(p *Pool, chain string) {
	if t := p.reuse.Load(); t != nil {
		if e := t.lookup(chain); e != nil {
			if u := e.p.Load(); u != nil {
				v := *u
				v.untilMS = 1
				e.p.Store(&v)
			}
		}
	}
}
