package fakegraph_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// refusal is a request Meta refuses, and how: the HTTP status, Meta's error code and a word of its message.
type refusal struct {
	name, method, path, auth, body string
	status, code                   int
	detail                         string
}

// expectRefusals sends each request to the fake at base and checks it is refused as Meta would refuse it.
func expectRefusals(t *testing.T, base string, cases []refusal) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			if c.auth != "" {
				req.Header.Set("Authorization", c.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error struct {
					Message string `json:"message"`
					Code    int    `json:"code"`
				} `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.status || body.Error.Code != c.code || !strings.Contains(body.Error.Message, c.detail) {
				t.Errorf("got %d %+v", resp.StatusCode, body.Error)
			}
		})
	}
}
