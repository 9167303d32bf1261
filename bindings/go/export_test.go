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

// SetPoolReuse makes p's Get(chain) hand out secret until untilMS (Unix ms).
func SetPoolReuse(p *Pool, chain string, secret Secret, untilMS int64) {
	p.keep(p.reuse.Load(), chain, &reusable{secret: secret, untilMS: untilMS})
}

// PoolReuseUntil is chain's reuse deadline in p (0: none).
func PoolReuseUntil(p *Pool, chain string) int64 {
	if m := p.reuse.Load(); m != nil {
		if u, ok := m.m.Load(chain); ok {
			return u.(*reusable).untilMS
		}
	}
	return 0
}

// ReusedChains is how many chains p keeps a token of.
func ReusedChains(p *Pool) int64 {
	if m := p.reuse.Load(); m != nil {
		return m.n.Load()
	}
	return 0
}

// MaxReusedChains is the bound on ReusedChains.
const MaxReusedChains = maxReusedChains
