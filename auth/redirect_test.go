package auth_test

import (
	"testing"

	"github.com/waorder/waorder/auth"
)

func TestSafeNext_KeepsLocalPathsAndRefusesEveryOffSiteVector(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/", "/"},
		{"/orders", "/orders"},
		{"/orders?status=pending&page=2", "/orders?status=pending&page=2"},
		{"/orders/42#items", "/orders/42#items"},
		{"/search?q=caf%C3%A9", "/search?q=caf%C3%A9"},
		{"", "/"},
		{"orders", "/"},
		{"//evil.example", "/"},
		{"///evil.example", "/"},
		{"/\\evil.example", "/"},
		{"\\\\evil.example", "/"},
		{"/\t/evil.example", "/"}, // what /login?next=%2F%09%2Fevil.example decodes to
		{"/%09/evil.example", "/"},
		{"/\n/evil.example", "/"},
		{"/\r\n/evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/%5cevil.example", "/"},
		{"/%2F/evil.example", "/"},
		{"/%2f%2fevil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"/%0d%0a/evil.example", "/"},
		{"/%E2%80%A8/evil.example", "/"},
		{"/%zz", "/"},
		{"https:evil.example", "/"},
		{"https://evil.example", "/"},
		{"http:/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{" /orders", "/"},
		{"/\x00/evil.example", "/"},
		{"/\x7f/evil.example", "/"},
	} {
		if got := auth.SafeNext(tt.in); got != tt.want {
			t.Errorf("SafeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
