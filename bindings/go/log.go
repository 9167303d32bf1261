package xoxe

// #include "xoxe.h"
import "C"

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

// LogLevel is how much a library log line matters (xoxe_log_level).
type LogLevel uint32

// The log levels, from the most to the least important.
const (
	// LogError: a call or rotation failed in a way a human should look at.
	LogError LogLevel = 1
	// LogWarn: something went wrong but was handled, or needs care.
	LogWarn LogLevel = 2
	// LogInfo: rotations, store adoptions, rate-limit waits.
	LogInfo LogLevel = 3
	// LogDebug: every request and its outcome, lock waits.
	LogDebug LogLevel = 4
)

// String returns "error", "warn", "info" or "debug".
func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarn:
		return "warn"
	case LogInfo:
		return "info"
	case LogDebug:
		return "debug"
	}
	return "unknown_level"
}

var (
	// logFunc is what the exported callback calls (nil: drop the line).
	logFunc atomic.Pointer[func(LogLevel, string)]
	// logMu serialises SetLogger.
	logMu sync.Mutex
)

// SetLogger sends the library's log lines (requests, retries, rotations,
// store events) at maxLevel and more important to fn; a nil fn turns logging
// off (the default). The library builds messages from redacted values and
// scrubs them again, so they never contain a secret. fn may be called from any
// goroutine or thread, concurrently, and must not call SetLogger. The logger
// is process-wide. When SetLogger returns, the previous fn is no longer
// running and will not be called again.
func SetLogger(fn func(level LogLevel, message string), maxLevel LogLevel) error {
	logMu.Lock()
	defer logMu.Unlock()
	if fn == nil {
		st, cerr := setLogger(false, 0)
		if st != 0 {
			return takeError("SetLogger", st, cerr)
		}
		logFunc.Store(nil)
		return nil
	}
	prev := logFunc.Swap(&fn)
	st, cerr := setLogger(true, uint32(maxLevel))
	if st != 0 {
		logFunc.Store(prev)
		return takeError("SetLogger", st, cerr)
	}
	return nil
}

// SlogFunc adapts l for [SetLogger]: each line becomes a record at the
// matching slog level (debug, info, warn, error) with the attribute
// component=xoxe.
func SlogFunc(l *slog.Logger) func(LogLevel, string) {
	return func(level LogLevel, message string) {
		lv := slog.LevelDebug
		switch level {
		case LogError:
			lv = slog.LevelError
		case LogWarn:
			lv = slog.LevelWarn
		case LogInfo:
			lv = slog.LevelInfo
		}
		l.Log(context.Background(), lv, message, "component", "xoxe")
	}
}
