package xoxe

import "testing"

type nopBackend struct{}

func (nopBackend) Load() (string, bool, error)                { return "", false, nil }
func (nopBackend) Save(*uint64, uint64, string) (bool, error) { return true, nil }

// The library calls release once when a Go-backed store is freed, and the
// binding forgets the backend then.
func TestForeignStoreReleased(t *testing.T) {
	count := func() (n int) {
		foreign.Range(func(any, any) bool { n++; return true })
		return n
	}
	before := count()
	s, err := NewStore(nopBackend{}, "released")
	if err != nil {
		t.Fatal(err)
	}
	if count() != before+1 {
		t.Fatal("backend not registered")
	}
	s.Close()
	if count() != before {
		t.Fatal("backend not released when the store was freed")
	}
}
