package web

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"tuango/internal/tuango"
)

// openapiInputSchemas maps each request schema of openapi.json to the Go
// type its handler decodes, so that a field added on one side only fails
// TestOpenAPISchemasMatchInputs.
var openapiInputSchemas = map[string]any{
	"Credentials":      credentials{},
	"OrderRequest":     orderRequest{},
	"Faults":           faultsView{},
	"SupplierInput":    supplierPatch{},
	"ProductInput":     productPatch{},
	"DealInput":        dealPatch{},
	"PickupPointInput": pickupPointPatch{},
	"LeaderUpdate":     leaderPatch{},
	"CutoffRequest":    cutoffRequest{},
	"DispatchRequest":  dispatchRequest{},
	"SignRequest":      signRequest{},
	"PickupRequest":    pickupRequest{},

	"WithdrawalRequest": withdrawalRequest{},
	"RejectRequest":     rejectRequest{},
	"SettlementRequest": settleRequest{},

	"CityClosureRequest":        cityClosureRequest{},
	"PickupPointClosureRequest": pickupPointClosureRequest{},
	"MoveOrdersRequest":         moveOrdersRequest{},
	"CancelOrdersRequest":       cancelOrdersRequest{},
	"CouponCreate":              couponRequest{},
	"IssueRequest":              issueRequest{},
	"AfterSalesRequest":         afterSalesRequest{},
	"AfterSalesReject":          rejectRequest{},
	"AfterSalesWindow":          afterSalesWindowRequest{},
	"CodeRequest":               codeRequest{},
	"IncidentRequest":           incidentRequest{},
	"IncidentUpdateRequest":     updateRequest{},
	"PostmortemRequest":         postmortemRequest{},
	"ApologyRequest":            apologyRequest{},
	"WebhookCreate":             webhookRequest{},
	"FeedbackCreate":            feedbackRequest{},
	"PasswordReset":             passwordReset{},
	"PasswordChange":            passwordChange{},
	"TOTPConfirm":               totpConfirm{},
	"SourceRuleRequest":         sourceRuleRequest{},
}

// openapiProbedInputs are request schemas whose Go types are anonymous
// structs inside their handlers, which reflect cannot name. The test sends
// each documented field to the handler instead (see probeInput).
var openapiProbedInputs = map[string]func(s *Server, w http.ResponseWriter, r *http.Request){
	"LoginRequest": func(s *Server, w http.ResponseWriter, r *http.Request) { s.handleLogin(w, r) },
	"SetPickupPointRequest": func(s *Server, w http.ResponseWriter, r *http.Request) {
		s.handleSetPickupPoint(w, r, tuango.Actor{UserID: "usr_probe", Role: tuango.RoleCustomer})
	},
}

// openapiUncheckedInputs are request schemas no Go type of this package
// decodes, with the reason.
var openapiUncheckedInputs = map[string]string{
	"SandboxNotification": "decoded leniently by internal/payment's unexported notification type",
}

// openapiPlainErrors are error responses that are deliberately not
// problem+json.
var openapiPlainErrors = map[string]bool{
	"GET /readyz 503": true, // load balancers read {"status": ...}
}

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapiDoc)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	return doc
}

// openapiPath converts a ServeMux pattern to an OpenAPI path: without a
// trailing {$}, and with {name...} written {name}.
func openapiPath(pattern string) string {
	p := strings.TrimSuffix(pattern, "{$}")
	return strings.ReplaceAll(p, "...}", "}")
}

// operationKey is "METHOD /path", as routes and operations are reported.
func operationKey(method, path string) string { return strings.ToUpper(method) + " " + path }

// documentedRoutes returns the routes that must be in openapi.json — the
// API and the operations endpoints, every one — keyed by operationKey.
func documentedRoutes(t *testing.T, s *Server) map[string]Route {
	t.Helper()
	out := map[string]Route{}
	for _, rt := range s.apiRoutes() {
		if rt.Method == "" {
			t.Errorf("API route %q serves every method; give it one", rt.Pattern)
			continue
		}
		out[operationKey(rt.Method, openapiPath(rt.Pattern))] = rt
	}
	return out
}

// operations returns openapi.json's operations keyed by operationKey.
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[operationKey(method, path)] = op
		}
	}
	return out
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	s := NewServer(Config{})
	routes := documentedRoutes(t, s)
	ops := operations(doc)

	for _, key := range slices.Sorted(maps.Keys(routes)) {
		if ops[key] == nil {
			t.Errorf("route %s (pattern %q) is not documented in openapi.json", key, routes[key].Pattern)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		if _, ok := routes[key]; !ok {
			t.Errorf("openapi.json documents %s, which routes.go does not serve", key)
		}
	}

	// Pages are not API: none of them may live under /api/, and every API
	// route is under /api/ but the operations endpoints.
	for _, rt := range s.pageRoutes() {
		if strings.HasPrefix(rt.Pattern, "/api/") {
			t.Errorf("page route %s is under /api/; put it in apiRoutes and document it", rt.Pattern)
		}
	}
	for _, rt := range s.apiRoutes() {
		if !strings.HasPrefix(rt.Pattern, "/api/") && rt.Pattern != "/healthz" && rt.Pattern != "/readyz" && rt.Pattern != "/metrics" {
			t.Errorf("API route %s is outside /api/", rt.Pattern)
		}
	}
	if len(routes) == 0 || len(ops) == 0 {
		t.Errorf("found %d routes and %d documented operations; expected some of each", len(routes), len(ops))
	}
}

func TestOpenAPIValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Errorf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi is %q, want 3.0.3", doc.OpenAPI)
	}
	if doc.Info == nil || !strings.Contains(doc.Info.Description, "Idempotency-Key") || !strings.Contains(doc.Info.Description, "fen") {
		t.Errorf("info.description should explain the conventions (money in fen, Idempotency-Key, ...)")
	}
	seen := map[string]string{}
	ops := operations(doc)
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		op := ops[key]
		if op.OperationID == "" {
			t.Errorf("%s has no operationId", key)
		} else if other, dup := seen[op.OperationID]; dup {
			t.Errorf("%s and %s share operationId %q", other, key, op.OperationID)
		}
		seen[op.OperationID] = key
		if op.Summary == "" {
			t.Errorf("%s has no summary", key)
		}
		if len(op.Tags) == 0 {
			t.Errorf("%s has no tags", key)
		}
		ok := false
		for status := range op.Responses.Map() {
			ok = ok || strings.HasPrefix(status, "2")
		}
		if !ok {
			t.Errorf("%s documents no success response", key)
		}
	}
}

// jsonFields returns the JSON names of a struct's fields and their types.
func jsonFields(typ reflect.Type) (names []string, types map[string]reflect.Type) {
	types = map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
		types[name] = f.Type
	}
	return names, types
}

// openapiType returns the OpenAPI type and required format of a Go type.
func openapiType(typ reflect.Type) (string, string) {
	if typ.Kind() == reflect.Pointer { // a patch's field, nil when absent
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.String:
		return "string", ""
	case reflect.Bool:
		return "boolean", ""
	case reflect.Int64:
		return "integer", "int64"
	case reflect.Int, reflect.Int32, reflect.Int16, reflect.Int8, reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		return "integer", ""
	case reflect.Float64, reflect.Float32:
		return "number", ""
	case reflect.Slice, reflect.Array:
		return "array", ""
	case reflect.Struct, reflect.Map:
		return "object", ""
	}
	return typ.Kind().String(), ""
}

// compareSchema reports every difference between a strict request schema
// and the Go struct decoded from it, nested structs included.
func compareSchema(t *testing.T, where string, schema *openapi3.Schema, typ reflect.Type) {
	t.Helper()
	if schema == nil {
		t.Errorf("%s: no schema", where)
		return
	}
	if !schema.Type.Is("object") {
		t.Errorf("%s: type is %v, want object", where, schema.Type)
	}
	if ap := schema.AdditionalProperties; ap.Has == nil || *ap.Has || ap.Schema != nil {
		t.Errorf("%s: additionalProperties must be false: the handler refuses unknown fields", where)
	}
	names, types := jsonFields(typ)
	for _, name := range names {
		if schema.Properties[name] == nil {
			t.Errorf("%s: Go field %q of %s is not a property of the schema", where, name, typ)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(schema.Properties)) {
		ft, ok := types[name]
		if !ok {
			t.Errorf("%s: property %q is not a field of Go type %s", where, name, typ)
			continue
		}
		prop := schema.Properties[name].Value
		wantType, wantFormat := openapiType(ft)
		if !prop.Type.Is(wantType) {
			t.Errorf("%s.%s: type is %v, want %s (Go %s)", where, name, prop.Type, wantType, ft)
		}
		if wantFormat != "" && prop.Format != wantFormat {
			t.Errorf("%s.%s: format is %q, want %q (Go %s)", where, name, prop.Format, wantFormat, ft)
		}
		switch {
		case ft.Kind() == reflect.Struct:
			compareSchema(t, where+"."+name, prop, ft)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			if prop.Items == nil {
				t.Errorf("%s.%s: an array without items", where, name)
				continue
			}
			compareSchema(t, where+"."+name+"[]", prop.Items.Value, ft.Elem())
		}
	}
	for _, name := range schema.Required {
		if schema.Properties[name] == nil {
			t.Errorf("%s: requires %q, which is not a property", where, name)
		}
	}
}

// schemaName returns the component name a $ref points to.
func schemaName(ref *openapi3.SchemaRef) string {
	name, ok := strings.CutPrefix(ref.Ref, "#/components/schemas/")
	if !ok {
		return ""
	}
	return name
}

// baseInput returns the input schema a request schema stands for: itself,
// or, for a create schema written {"allOf": [Input], "required": [...]},
// the input schema it requires fields of.
func baseInput(t *testing.T, doc *openapi3.T, name string) string {
	t.Helper()
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		t.Errorf("schema %s is not in components/schemas", name)
		return name
	}
	s := ref.Value
	if len(s.AllOf) == 0 {
		return name
	}
	if len(s.AllOf) != 1 || schemaName(s.AllOf[0]) == "" || len(s.Properties) != 0 {
		t.Errorf("schema %s: a request schema with allOf must be exactly one $ref plus required", name)
		return name
	}
	base := schemaName(s.AllOf[0])
	for _, req := range s.Required {
		if s.AllOf[0].Value.Properties[req] == nil {
			t.Errorf("schema %s requires %q, which %s does not have", name, req, base)
		}
	}
	return base
}

func TestOpenAPISchemasMatchInputs(t *testing.T) {
	doc := loadOpenAPI(t)
	for _, name := range slices.Sorted(maps.Keys(openapiInputSchemas)) {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("schema %s is not in components/schemas", name)
			continue
		}
		compareSchema(t, name, ref.Value, reflect.TypeOf(openapiInputSchemas[name]))
	}

	// Every request body must be checked one way or another.
	ops := operations(doc)
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		body := ops[key].RequestBody
		if body == nil || body.Value == nil {
			continue
		}
		for mt, content := range body.Value.Content {
			if mt != "application/json" {
				t.Errorf("%s: request body of type %s; the API reads only JSON", key, mt)
			}
			name := schemaName(content.Schema)
			if name == "" {
				t.Errorf("%s: the request body's schema must be a $ref to components/schemas", key)
				continue
			}
			base := baseInput(t, doc, name)
			_, reflected := openapiInputSchemas[base]
			_, probed := openapiProbedInputs[base]
			_, unchecked := openapiUncheckedInputs[base]
			if !reflected && !probed && !unchecked {
				t.Errorf("%s: request schema %s is not compared with a Go type; add it to openapiInputSchemas", key, base)
			}
		}
	}
}

// openapiProbeStore panics on every call; handlers probed with it never
// get further than decoding their body.
type openapiProbeStore struct{ tuango.Store }

func newProbeServer() *Server {
	svc := tuango.NewService(openapiProbeStore{}, tuango.SystemClock{}, nil, nil, nil, tuango.Config{}, nil)
	return NewServer(Config{Service: svc})
}

// exampleValue returns a value of a property's type, to send in a probe.
func exampleValue(s *openapi3.Schema) any {
	switch {
	case s.Type.Is("string"):
		return "x"
	case s.Type.Is("integer"), s.Type.Is("number"):
		return 1
	case s.Type.Is("boolean"):
		return true
	case s.Type.Is("array"):
		return []any{}
	}
	return map[string]any{}
}

// callHandler runs h on r and returns the response, or ok=false if h
// panicked (as handlers do with the probe server's missing parts).
func callHandler(h func(w http.ResponseWriter, r *http.Request), r *http.Request) (rec *httptest.ResponseRecorder, ok bool) {
	rec = httptest.NewRecorder()
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	h(rec, r)
	return rec, true
}

// TestOpenAPIAnonymousInputs checks the request schemas whose Go types are
// anonymous: each documented property, followed by one unknown field, is
// sent to the handler, which must refuse exactly the unknown field. A
// documented property the handler does not know, or of another type, is
// refused first. (A Go field missing from the schema cannot be found this
// way: name those structs to check them with reflect.)
func TestOpenAPIAnonymousInputs(t *testing.T) {
	doc := loadOpenAPI(t)
	s := newProbeServer()
	const unknown = "zz_openapi_probe"
	for _, name := range slices.Sorted(maps.Keys(openapiProbedInputs)) {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("schema %s is not in components/schemas", name)
			continue
		}
		schema := ref.Value
		if ap := schema.AdditionalProperties; ap.Has == nil || *ap.Has {
			t.Errorf("%s: additionalProperties must be false: the handler refuses unknown fields", name)
		}
		// Marshal the documented properties in order, then the unknown one:
		// the decoder reports the first field it refuses.
		var b strings.Builder
		b.WriteString("{")
		for _, prop := range slices.Sorted(maps.Keys(schema.Properties)) {
			v, _ := json.Marshal(exampleValue(schema.Properties[prop].Value))
			fmt.Fprintf(&b, "%q:%s,", prop, v)
		}
		fmt.Fprintf(&b, "%q:1}", unknown)

		r := httptest.NewRequest("POST", "/probe", strings.NewReader(b.String()))
		r.Header.Set("Content-Type", "application/json")
		h := openapiProbedInputs[name]
		rec, ok := callHandler(func(w http.ResponseWriter, r *http.Request) { h(s, w, r) }, r)
		if !ok {
			t.Errorf("%s: the handler accepted the body %s with an unknown field", name, b.String())
			continue
		}
		var p problem
		json.Unmarshal(rec.Body.Bytes(), &p)
		if rec.Code != http.StatusBadRequest || p.Field != unknown {
			t.Errorf("%s: body %s: got %d %s (field %q), want 400 refusing only %q; is a documented property unknown to the handler?",
				name, b.String(), rec.Code, strings.TrimSpace(p.Detail), p.Field, unknown)
		}
	}
}

// TestOpenAPISecurityMatchesAuth checks that exactly the routes wrapped in
// s.authed require bearerAuth: an authed route answers a request without a
// token with 401 and WWW-Authenticate before anything else.
func TestOpenAPISecurityMatchesAuth(t *testing.T) {
	doc := loadOpenAPI(t)
	if _, ok := doc.Components.SecuritySchemes["bearerAuth"]; !ok {
		t.Fatalf("components/securitySchemes has no bearerAuth")
	}
	s := newProbeServer()
	ops := operations(doc)
	routes := documentedRoutes(t, s)
	for _, key := range slices.Sorted(maps.Keys(routes)) {
		op := ops[key]
		if op == nil {
			continue // reported by TestOpenAPIMatchesRoutes
		}
		rt := routes[key]
		r := httptest.NewRequest(rt.Method, "/probe", nil)
		rec, ok := callHandler(rt.Handler.ServeHTTP, r)
		authed := ok && rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") != ""

		security := doc.Security
		if op.Security != nil {
			security = *op.Security
		}
		required, mentioned := len(security) > 0, false
		for _, req := range security {
			_, bearer := req["bearerAuth"]
			mentioned = mentioned || bearer
			required = required && bearer
		}
		switch {
		case authed && !required:
			t.Errorf("%s is wrapped in s.authed but its security does not require bearerAuth", key)
		case !authed && required:
			t.Errorf("%s is public but its security requires bearerAuth (add {} to make it optional)", key)
		case !authed && mentioned && !slices.ContainsFunc(security, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 }):
			t.Errorf("%s is public but its security lists bearerAuth without {}", key)
		}
	}
}

var codesLine = regexp.MustCompile("^Codes: (`[a-z_]+`(, `[a-z_]+`)*)\\.")
var backticked = regexp.MustCompile("`([a-z_]+)`")

// TestOpenAPIErrorCodes checks that every error response lists its codes
// on a first line "Codes: `a`, `b`." with the status statusByCode gives
// them, and is problem+json; and that the Problem schema lists every code.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadOpenAPI(t)
	ops := operations(doc)
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		responses := ops[key].Responses.Map()
		for _, status := range slices.Sorted(maps.Keys(responses)) {
			n, err := strconv.Atoi(status)
			if err != nil {
				t.Errorf("%s: response %q: give each status explicitly", key, status)
				continue
			}
			if n < 400 {
				continue
			}
			where := fmt.Sprintf("%s %d", key, n)
			resp := responses[status].Value
			if openapiPlainErrors[where] {
				continue
			}
			if mt := resp.Content["application/problem+json"]; mt == nil || schemaName(mt.Schema) != "Problem" || len(resp.Content) != 1 {
				t.Errorf("%s: an error response must be application/problem+json with the Problem schema", where)
			}
			desc := ""
			if resp.Description != nil {
				desc = *resp.Description
			}
			m := codesLine.FindStringSubmatch(desc)
			if m == nil {
				t.Errorf("%s: the description must start with \"Codes: `code`, ...\": %q", where, desc)
				continue
			}
			for _, c := range backticked.FindAllStringSubmatch(m[1], -1) {
				code := c[1]
				if want, ok := statusByCode[code]; !ok {
					t.Errorf("%s: lists code %q, which statusByCode does not know", where, code)
				} else if want != n {
					t.Errorf("%s: lists code %q, which is sent with status %d", where, code, want)
				}
			}
		}
	}

	problem := doc.Components.Schemas["Problem"]
	if problem == nil || problem.Value.Properties["code"] == nil {
		t.Fatalf("components/schemas/Problem has no code property")
	}
	desc := problem.Value.Properties["code"].Value.Description
	for _, code := range slices.Sorted(maps.Keys(statusByCode)) {
		if entry := fmt.Sprintf("`%s` %d", code, statusByCode[code]); !strings.Contains(desc, entry) {
			t.Errorf("Problem.code's description does not list %s", entry)
		}
	}
}
