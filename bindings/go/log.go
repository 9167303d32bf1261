package xoxe

/*
#include "xoxe.h"

// The log callback, exported from callbacks.go (cgo exports take char *).
// Not static: Go takes its address.
extern void xoxeGoLog(void *user_data, uint32_t level, char *message);

void xoxe_go_log(void *user_data, uint32_t level, const char *message) {
	xoxeGoLog(user_data, level, (char *)message);
}
*/
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
	LogError LogLevel = C.XOXE_LOG_LEVEL_ERROR // a call or rotation failed in a way a human should look at
	LogWarn  LogLevel = C.XOXE_LOG_LEVEL_WARN  // something went wrong but was handled, or needs care
	LogInfo  LogLevel = C.XOXE_LOG_LEVEL_INFO  // rotations, store adoptions, rate-limit waits
	LogDebug LogLevel = C.XOXE_LOG_LEVEL_DEBUG // every request and its outcome, lock waits
)

var levelNames = [...]string{LogError: "error", LogWarn: "warn", LogInfo: "info", LogDebug: "debug"}

// String returns "error", "warn", "info" or "debug".
func (l LogLevel) String() string {
	if int(l) < len(levelNames) && levelNames[l] != "" {
		return levelNames[l]
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
	var callback *[0]byte // NULL: logging off
	var f *func(LogLevel, string)
	if fn != nil {
		callback, f = (*[0]byte)(C.xoxe_go_log), &fn
	}
	prev := logFunc.Swap(f)
	var e *C.xoxe_error
	if err := check("SetLogger", C.xoxe_set_logger(callback, nil, C.uint32_t(maxLevel), &e), &e); err != nil {
		logFunc.Store(prev)
		return err
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
