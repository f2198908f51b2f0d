package web

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"tuango/internal/tuango"
)

// The audit trail's web side: every request carries its origin (client
// address, request id) for the records written while serving it, and
// every write by an operator or admin is noted as an operator action,
// recorded in the first transaction the request commits (or after it, if
// it commits none).

// noteUser tells the audit trail who is asking, and, for a write by
// staff, what they asked: the route, the path and the fields sent (with
// passwords, tokens and codes left out).
func (s *Server) noteUser(r *http.Request, u *tuango.User) {
	ctx := r.Context()
	tuango.NoteActor(ctx, u)
	if u == nil || !u.Role.IsStaff() || safeMethod(r.Method) {
		return
	}
	tuango.NoteOperatorAction(ctx, r.Method+" "+route(r), r.URL.Path, auditFields(r))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// maxAuditField bounds each field kept of an operator's request.
const maxAuditField = 200

// auditFields is what an operator's request sent, as JSON: its form
// fields, or its JSON body's top-level fields. The body is read and put
// back for the handler.
func auditFields(r *http.Request) string {
	fields := map[string]any{}
	if q := r.URL.RawQuery; q != "" {
		fields["query"] = clip(q)
	}
	switch {
	case r.PostForm != nil:
		addForm(fields, r.PostForm)
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && r.Body != nil:
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
		r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		var obj map[string]json.RawMessage
		if err != nil || json.Unmarshal(b, &obj) != nil {
			fields["body_bytes"] = len(b)
			break
		}
		for k, v := range obj {
			switch {
			case secretField(k):
				fields[k] = "[redacted]"
			case len(v) <= maxAuditField:
				fields[k] = v // as sent: valid JSON, parsed above
			default:
				fields[k] = clip(string(v))
			}
		}
	}
	b, _ := json.Marshal(fields)
	return string(b)
}

func addForm(fields map[string]any, form url.Values) {
	for k, vs := range form {
		switch {
		case k == "csrf":
		case secretField(k):
			fields[k] = "[redacted]"
		default:
			fields[k] = clip(strings.Join(vs, ","))
		}
	}
}

// secretField reports whether a field's value must never reach the log.
func secretField(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "password") || strings.Contains(n, "token") || strings.Contains(n, "secret") ||
		strings.Contains(n, "csrf") || n == "code" || strings.HasSuffix(n, "_code") || strings.Contains(n, "totp")
}

func clip(s string) string {
	if len(s) <= maxAuditField {
		return s
	}
	return strings.ToValidUTF8(s[:maxAuditField], "") + "…"
}

type readCloser struct {
	io.Reader
	io.Closer
}
