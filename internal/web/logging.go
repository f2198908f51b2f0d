package web

import (
	"context"
	"log/slog"
)

// NewLogHandler wraps h so that every record logged with a request's
// context carries that request's id (request_id), and every time is UTC.
// Log with the ...Context methods inside a request.
func NewLogHandler(h slog.Handler) slog.Handler { return requestLog{h} }

type requestLog struct{ next slog.Handler }

func (l requestLog) Enabled(ctx context.Context, level slog.Level) bool {
	return l.next.Enabled(ctx, level)
}

func (l requestLog) Handle(ctx context.Context, r slog.Record) error {
	r.Time = r.Time.UTC()
	if id := requestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return l.next.Handle(ctx, r)
}

func (l requestLog) WithAttrs(as []slog.Attr) slog.Handler { return requestLog{l.next.WithAttrs(as)} }
func (l requestLog) WithGroup(name string) slog.Handler    { return requestLog{l.next.WithGroup(name)} }
