package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"tuango/internal/tuango"
)

// MaxBodyBytes bounds a request body; no API request needs more.
const MaxBodyBytes = 64 << 10

// readBody reads a request body within the size limit.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != "application/json" { // the usual one needs no parsing
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &tuango.Error{Code: codeUnsupportedMedia, Message: fmt.Sprintf("send the body as application/json, not %q", ct)}
		}
	}
	var body []byte
	var err error
	if p, ok := r.Body.(*preread); ok && p.off == 0 {
		body, err, p.off = p.data, p.err, len(p.data)
	} else {
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, &tuango.Error{Code: codeBodyTooLarge, Message: fmt.Sprintf("the body is larger than %d bytes", MaxBodyBytes)}
	}
	if err != nil {
		return nil, tuango.Errorf(tuango.CodeInvalid, "could not read the body: %v", err)
	}
	return body, nil
}

// decode reads one JSON object into v strictly: unknown fields, trailing
// data and wrong types are errors that name the field.
func decode(w http.ResponseWriter, r *http.Request, v any) ([]byte, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	return body, decodeBytes(body, v)
}

// decodeBytes is decode on a body already read.
func decodeBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return tuango.Errorf(tuango.CodeInvalid, "the body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return tuango.Errorf(tuango.CodeInvalid, "the body has data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return tuango.Errorf(tuango.CodeInvalid, "the body has data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return tuango.Errorf(tuango.CodeInvalid, "the body is not valid JSON (at byte %d)", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return tuango.Errorf(tuango.CodeInvalid, "the body is not valid JSON (it ends too soon)")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return tuango.Errorf(tuango.CodeInvalid, "the body must be a JSON object, not %s", typ.Value)
		}
		return tuango.FieldError(typ.Field, "must be %s, not %s", kindName(typ.Type.Kind().String()), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return tuango.FieldError(name, "is not a known field")
	}
	return tuango.Errorf(tuango.CodeInvalid, "the body could not be read as JSON: %v", err)
}

func kindName(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number in range"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	case k == "struct", k == "map":
		return "an object"
	}
	return "of another type"
}

// parseTime reads an RFC 3339 time field.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, tuango.FieldError(field, "is required")
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, tuango.FieldError(field, "must be a time written as RFC 3339, such as 2026-11-25T23:00:00+08:00")
	}
	if t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, tuango.FieldError(field, "is not a plausible date")
	}
	return tuango.Truncate(t), nil
}

// formatTime writes a time as RFC 3339, or "" for the zero time.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func msDuration(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }
