package server

import (
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// accessEntry is one request's access log line: the attributes
// instrument logs, in this order, then the request ID.
type accessEntry struct {
	level                        slog.Level
	method, route, path, outcome string
	status                       int
	duration                     time.Duration
	bytes                        int64
	remote, requestID            string
}

// attrs are the entry's attributes as slog logs them.
func (e *accessEntry) attrs() []slog.Attr {
	return []slog.Attr{
		slog.String("method", e.method),
		slog.String("route", e.route),
		slog.String("path", e.path),
		slog.Int("status", e.status),
		slog.String("outcome", e.outcome),
		slog.Duration("duration", e.duration),
		slog.Int64("bytes", e.bytes),
		slog.String("remote", e.remote),
	}
}

// accessLog writes access log lines to the log the server built for
// itself (NewLogger's text or JSON handler, without ReplaceAttr, into
// its logBuffer), formatting each line itself, byte for byte as that
// handler would: slog's Record and handler took about 5 % of a token
// request's CPU. A line with a value this formatter does not handle (a
// string with a byte outside printable ASCII, which slog quotes or
// escapes in ways not worth copying) is left to slog (instrument's
// logRequest), so every line is what slog would have written.
// TestAccessLogMatchesSlog holds the two together.
type accessLog struct {
	json bool
	w    *logBuffer
}

var accessBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// write writes e's line at time t, at once for a warning or an error
// (as flushingHandler does), and reports whether it did; false leaves
// the line to slog.
func (a *accessLog) write(t time.Time, e *accessEntry) bool {
	bp := accessBufs.Get().(*[]byte)
	line, ok := a.appendLine((*bp)[:0], t, e)
	if ok {
		a.w.Write(line)
		if e.level >= slog.LevelWarn {
			a.w.Flush()
		}
	}
	if cap(line) <= maxPooledLine { // as slog does, a huge line's buffer is not kept
		*bp = line[:0]
		accessBufs.Put(bp)
	}
	return ok
}

// maxPooledLine is the largest buffer accessBufs keeps.
const maxPooledLine = 16 << 10

// appendLine appends e's line to b; ok is false, and b is not to be
// used, when a value holds a byte this formatter leaves to slog.
func (a *accessLog) appendLine(b []byte, t time.Time, e *accessEntry) (_ []byte, ok bool) {
	for _, s := range [...]string{e.method, e.route, e.path, e.outcome, e.remote, e.requestID} {
		if !plainASCII(s) {
			return b, false
		}
	}
	t = t.Round(0)
	if y := t.Year(); t.IsZero() || y < 0 || y >= 10000 { // slog leaves a zero time out
		return b, false
	}
	if a.json {
		b = append(b, `{"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"`...)
		b = append(b, e.level.String()...)
		b = append(b, `","msg":"request","method":`...)
		b = appendJSONString(b, e.method)
		b = append(b, `,"route":`...)
		b = appendJSONString(b, e.route)
		b = append(b, `,"path":`...)
		b = appendJSONString(b, e.path)
		b = append(b, `,"status":`...)
		b = strconv.AppendInt(b, int64(e.status), 10)
		b = append(b, `,"outcome":`...)
		b = appendJSONString(b, e.outcome)
		b = append(b, `,"duration":`...)
		b = strconv.AppendInt(b, int64(e.duration), 10)
		b = append(b, `,"bytes":`...)
		b = strconv.AppendInt(b, e.bytes, 10)
		b = append(b, `,"remote":`...)
		b = appendJSONString(b, e.remote)
		if e.requestID != "" {
			b = append(b, `,"request_id":`...)
			b = appendJSONString(b, e.requestID)
		}
		return append(b, "}\n"...), true
	}
	b = append(b, "time="...)
	b = appendRFC3339Millis(b, t)
	b = append(b, " level="...)
	b = append(b, e.level.String()...)
	b = append(b, " msg=request method="...)
	b = appendTextString(b, e.method)
	b = append(b, " route="...)
	b = appendTextString(b, e.route)
	b = append(b, " path="...)
	b = appendTextString(b, e.path)
	b = append(b, " status="...)
	b = strconv.AppendInt(b, int64(e.status), 10)
	b = append(b, " outcome="...)
	b = appendTextString(b, e.outcome)
	b = append(b, " duration="...)
	b = append(b, e.duration.String()...)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, e.bytes, 10)
	b = append(b, " remote="...)
	b = appendTextString(b, e.remote)
	if e.requestID != "" {
		b = append(b, " request_id="...)
		b = appendTextString(b, e.requestID)
	}
	return append(b, '\n'), true
}

// plainASCII reports whether s is printable ASCII (space to tilde), the
// only strings appendTextString and appendJSONString handle.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// appendTextString appends the printable ASCII s as slog's text handler
// does: bare, unless it is empty or holds a space, '=' or '"', and then
// quoted as strconv.Quote quotes it (a backslash before '"' and '\').
func appendTextString(b []byte, s string) []byte {
	quote := s == ""
	for i := 0; i < len(s) && !quote; i++ {
		quote = s[i] == ' ' || s[i] == '=' || s[i] == '"'
	}
	if !quote {
		return append(b, s...)
	}
	return appendEscaped(append(b, '"'), s)
}

// appendJSONString appends the printable ASCII s as a JSON string, as
// slog's JSON handler does (no HTML escaping).
func appendJSONString(b []byte, s string) []byte {
	return appendEscaped(append(b, '"'), s)
}

// appendEscaped appends the printable ASCII s with a backslash before
// each '"' and '\', and a closing quote.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendRFC3339Millis appends t as slog's text handler does: RFC 3339
// with exactly three digits of milliseconds, truncated.
func appendRFC3339Millis(b []byte, t time.Time) []byte {
	// The same trick as slog's: RFC3339Nano trims trailing zeros, so a
	// tenth of a millisecond added makes four digits, and the fourth is
	// dropped.
	const prefixLen = len("2006-01-02T15:04:05.000")
	n := len(b)
	t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
}
