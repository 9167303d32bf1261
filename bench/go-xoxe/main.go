// xoxe from Go, for `make bench` (bench/run.py drives it; prints one JSON line).
//
//	goxoxe rotate BASE RT CALLS WARMUP   sequential ToolingTokensRotate calls
//	goxoxe get BASE RT CALLS THREADS     Rotator.Get on a fresh token, THREADS goroutines
//	goxoxe mt BASE RT CALLS THREADS      THREADS goroutines sharing one Client
//	goxoxe load BASE                     NewClient (the library is linked statically)
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
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
