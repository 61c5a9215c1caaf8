package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/waorder/waorder/config"
	"github.com/waorder/waorder/handlers/api"
	"github.com/waorder/waorder/testutil"
)

var pathParam = regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)

// apiRoutes lists "METHOD /path" of every /api/v1 route the service's Fiber app registered, in OpenAPI's path
// syntax (":id" becomes "{id}"). HEAD routes Fiber adds for each GET are left out.
func apiRoutes(t *testing.T, s *Service) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range s.http.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == http.MethodHead || r.Method == http.MethodOptions ||
			strings.Contains(r.Path, "*") {
			continue
		}
		out[r.Method+" "+pathParam.ReplaceAllString(r.Path, "{$1}")] = true
	}
	return out
}

func startForRoutes(t *testing.T) *Service {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" }, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = t.TempDir()
	svc, err := New(cfg, slog.New(slog.DiscardHandler), WithAddr("127.0.0.1:0"), WithStore(testutil.SQLite(t)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; svc.Close() })
	return svc
}

// TestOpenAPI_DocumentsExactlyTheRegisteredAPIRoutes fails when a route under /api/v1 is added without being
// documented, or documented without existing. Its message says what to add, and where.
func TestOpenAPI_DocumentsExactlyTheRegisteredAPIRoutes(t *testing.T) {
	svc := startForRoutes(t)
	resp, err := http.Get(svc.URL() + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json without a token: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("%s does not parse as OpenAPI 3: %v", api.OpenAPIFile, err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("%s is not valid OpenAPI 3: %v", api.OpenAPIFile, err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	registered := apiRoutes(t, svc)
	if len(registered) < 5 {
		t.Fatalf("found only %d /api/v1 routes on the app: is the API area registered?", len(registered))
	}
	var undocumented, stale []string
	for r := range registered {
		if !documented[r] {
			undocumented = append(undocumented, r)
		}
	}
	for r := range documented {
		if !registered[r] {
			stale = append(stale, r)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(stale)
	for _, r := range undocumented {
		method, path, _ := strings.Cut(r, " ")
		t.Errorf("route %s is registered but not documented. Add it to %s under \"paths\" (then run this test "+
			"again):\n%s", r, api.OpenAPIFile, skeleton(method, path))
	}
	for _, r := range stale {
		t.Errorf("%s documents %s, but no such route is registered: remove it from \"paths\", or fix its method "+
			"or path (path parameters are written {name}, as :name in Fiber)", api.OpenAPIFile, r)
	}
}

// skeleton is the smallest valid entry for a route, to paste and fill in.
func skeleton(method, path string) string {
	op := map[string]any{
		"operationId": "uniqueOperationName", "summary": "what it does", "tags": []string{strings.Split(strings.TrimPrefix(path, "/api/v1/"), "/")[0]},
		"responses": map[string]any{
			"200": map[string]any{"description": "…", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"type": "object"}}}},
			"401": map[string]any{"$ref": "#/components/responses/Unauthorized"},
		},
	}
	var params []any
	for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "integer"}})
	}
	if params != nil {
		op["parameters"] = params
	}
	b, _ := json.MarshalIndent(map[string]any{path: map[string]any{strings.ToLower(method): op}}, "  ", " ")
	return fmt.Sprintf("  %s\n  (if %q is already there, add only the %q operation to it)", b, path, strings.ToLower(method))
}
