package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// logFlushEvery is how long a buffered log line may wait before it is
// written: short enough for `tail -f`, long enough that a busy server
// writes a few dozen kilobytes per write(2) instead of one line.
const logFlushEvery = 100 * time.Millisecond

// logBufferSize is the buffer; a full one is written at once.
const logBufferSize = 64 << 10

// logBuffer is the server's own log output: lines collect in memory and
// reach the underlying writer every logFlushEvery, when the buffer fills,
// at once for warnings and errors (flushingHandler), and on Close. One
// write(2) per access log line was about 6 % of a token request's CPU.
// A crash (kill -9) may lose up to logFlushEvery of info lines; a clean
// shutdown loses none.
type logBuffer struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// newLogBuffer starts buffering w and its periodic flush.
func newLogBuffer(w io.Writer) *logBuffer {
	b := &logBuffer{w: newBufWriter(w), stop: make(chan struct{}), done: make(chan struct{})}
	go b.loop()
	return b
}

func newBufWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, logBufferSize) }

func (b *logBuffer) loop() {
	defer close(b.done)
	t := time.NewTicker(logFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// Write buffers p (one log record: slog handlers write a record in one
// call).
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes what is buffered.
func (b *logBuffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the periodic flush and writes what is buffered. Lines
// logged afterwards are still taken and written by the next Flush.
func (b *logBuffer) Close() error {
	b.once.Do(func() {
		close(b.stop)
		<-b.done
	})
	return b.Flush()
}

// flushingHandler writes a record at warning level or above through at
// once, so an error is on disk before whatever follows it.
type flushingHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(as), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}
