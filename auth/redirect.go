package auth

import (
	"net/url"
	"strings"
)

// SafeNext returns next when it is a path on this site to go back to after logging in, and "/" otherwise. It
// accepts only an absolute path ("/orders?page=2"), and refuses what a browser could read as another site:
// "//host", "/\host" (browsers treat "\" as "/"), a scheme ("https:x", "javascript:"), and control characters
// (browsers strip tabs and newlines, so "/\t/evil" becomes "//evil"), in the value and once percent-decoded.
func SafeNext(next string) string {
	if !safePath(next) {
		return "/"
	}
	if dec, err := url.PathUnescape(next); err != nil || !safePath(dec) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	return next
}

// safePath: starts with one "/", is not "//…", and has no backslash, control or non-ASCII space character.
func safePath(p string) bool {
	if len(p) == 0 || len(p) > 2048 || p[0] != '/' || strings.HasPrefix(p, "//") {
		return false
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '\\' || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return false
		}
	}
	return true
}
