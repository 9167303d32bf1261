// xoxe from Go, for `make bench` (bench/run.py drives it; prints one JSON line).
//
//	goxoxe rotate BASE RT CALLS WARMUP   sequential ToolingTokensRotate calls
//	goxoxe get BASE RT CALLS THREADS     Rotator.Get on a fresh token, THREADS goroutines
//	goxoxe mt BASE RT CALLS THREADS      THREADS goroutines sharing one Client
//	goxoxe load BASE                     NewClient (the library is linked statically)
//	goxoxe pool BASE CHAINS CALLS REPS   Pool.Get on random chains of CHAINS fresh ones
//	                                     in a memory store (and RSS before and after
//	                                     loading them)
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	xoxe "github.com/xoxe-dev/xoxe/bindings/go"
)

func out(v any) {
	b, _ := json.Marshal(v)
	fmt.Println(string(b))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// runGoroutines runs fn in n goroutines at once; returns wall and process CPU seconds.
func runGoroutines(n int, fn func()) (float64, float64) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn()
		}()
	}
	ready.Wait()
	w0, c0 := time.Now(), cpuSeconds()
	close(start)
	done.Wait()
	return time.Since(w0).Seconds(), cpuSeconds() - c0
}

// rssKiB is VmRSS from /proc/self/status, after a collection that returns
// freed memory to the OS (so Go's garbage does not count).
func rssKiB() int {
	runtime.GC()
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		fail(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			v, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return v
		}
	}
	return 0
}

func hex40(r *rand.Rand) string {
	return fmt.Sprintf("%016x%016x%08x", r.Uint64(), r.Uint64(), r.Uint32())
}

// poolMode: Pool.Get(chain) with CHAINS fresh chains in memory.
func poolMode(client *xoxe.Client, chains, calls, reps int) {
	r := rand.New(rand.NewPCG(17, 17))
	names := make([]string, chains)
	for i := range names {
		names[i] = fmt.Sprintf("bot:-:T%08X", i+1)
	}
	store, err := xoxe.NewMemoryStore()
	if err != nil {
		fail(err)
	}
	// Valid for 6 hours: far outside the refresh window (2 h + up to 5 min of jitter).
	expires := time.Unix(time.Now().Unix()+6*3600, 0)
	t := time.Now()
	for _, name := range names {
		chain, err := store.OpenChain(name)
		if err != nil {
			fail(err)
		}
		if err := chain.Init(xoxe.ChainConfig, "xoxe-1-"+hex40(r), "xoxe.xoxp-1-"+hex40(r), expires, false); err != nil {
			fail(err)
		}
		chain.Close()
	}
	seed := time.Since(t).Seconds()
	pool, err := xoxe.NewPool(client, store, "", "", xoxe.WithMaxChainsInMemory(chains))
	if err != nil {
		fail(err)
	}
	defer pool.Close()
	rss0 := rssKiB()
	t = time.Now()
	for _, name := range names { // every chain once: the pool makes its rotators (all fresh)
		_, exp, err := pool.Get(name)
		if err != nil {
			fail(err)
		}
		if !exp.Equal(expires) {
			fail(fmt.Errorf("chain %s rotated while loading", name))
		}
	}
	load := time.Since(t).Seconds()
	rss1 := rssKiB()
	order := make([]string, calls)
	for i := range order {
		order[i] = names[r.IntN(chains)]
	}
	get := func(name string) {
		if _, _, err := pool.Get(name); err != nil {
			fail(err)
		}
	}
	for _, name := range order[:calls/10] { // warm-up
		get(name)
	}
	ns := make([]float64, reps)
	for i := range ns {
		t := time.Now()
		for _, name := range order {
			get(name)
		}
		ns[i] = float64(time.Since(t).Nanoseconds()) / float64(calls)
	}
	out(map[string]any{"chains": chains, "calls": calls, "ns_per_call": ns, "rss_kib_before": rss0,
		"rss_kib_after": rss1, "seed_s": seed, "load_s": load})
}

func main() {
	t0 := time.Now()
	mode, base := os.Args[1], os.Args[2]
	client, err := xoxe.NewClient(xoxe.WithBaseURL(base))
	if err != nil {
		fail(err)
	}
	defer client.Close()
	if mode == "load" {
		out(map[string]float64{"load_ms": 0, "create_ms": float64(time.Since(t0).Nanoseconds()) / 1e6})
		return
	}
	if mode == "pool" {
		chains, _ := strconv.Atoi(os.Args[3])
		calls, _ := strconv.Atoi(os.Args[4])
		reps, _ := strconv.Atoi(os.Args[5])
		poolMode(client, chains, calls, reps)
		return
	}
	rt := os.Args[3]
	calls, _ := strconv.Atoi(os.Args[4])
	n, _ := strconv.Atoi(os.Args[5])
	ctx := context.Background()
	rotate := func() {
		if _, err := client.ToolingTokensRotate(ctx, rt); err != nil {
			fail(err)
		}
	}
	switch mode {
	case "rotate":
		for i := 0; i < n; i++ {
			rotate()
		}
		t := time.Now()
		for i := 0; i < calls; i++ {
			rotate()
		}
		out(map[string]float64{"us_per_call": float64(time.Since(t).Nanoseconds()) / 1e3 / float64(calls)})
	case "get":
		store, err := xoxe.NewMemoryStore()
		if err != nil {
			fail(err)
		}
		if err := store.Init(xoxe.ChainConfig, rt, "", time.Time{}, false); err != nil {
			fail(err)
		}
		rot, err := xoxe.NewConfigRotator(client, store, nil)
		if err != nil {
			fail(err)
		}
		if _, _, err := rot.Get(ctx); err != nil { // rotates once
			fail(err)
		}
		loop := func() {
			for i := 0; i < calls; i++ {
				if _, _, err := rot.Get(ctx); err != nil {
					fail(err)
				}
			}
		}
		runGoroutines(1, loop) // warm-up
		wall, cpu := runGoroutines(n, loop)
		total := float64(calls * n)
		out(map[string]float64{"ns_per_call": wall * 1e9 / total, "cpu_ns_per_call": cpu * 1e9 / total, "calls_per_sec": total / wall})
	case "mt":
		wall, _ := runGoroutines(n, func() {
			for i := 0; i < calls; i++ {
				rotate()
			}
		})
		total := float64(calls * n)
		out(map[string]float64{"calls_per_sec": total / wall, "us_per_call": wall * 1e6 / total})
	default:
		fail(fmt.Errorf("unknown mode %s", mode))
	}
}
