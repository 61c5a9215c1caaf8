package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Lenient wire types. Meta's JSON is not strict about scalar types, so the wire structs below use these instead
// of string, int and time.Time: each accepts every reasonable spelling and fails (with a readable reason) only
// on values that cannot mean the field, such as an object where a string belongs.

// whString accepts a string, a number or boolean (kept as its JSON text) and null (empty).
type whString string

func (s *whString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch k := whKind(b); k {
	case "string":
		// Most strings have no escapes and need no decoding; the decoder has already validated them.
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
			*s = whString(b[1 : len(b)-1])
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = whString(v)
	case "null":
		*s = ""
	case "number", "boolean":
		*s = whString(b)
	default:
		return whWant("a string", k)
	}
	return nil
}

// whScalar returns the trimmed text of a string or number, "" for null, and an error for anything else.
func whScalar(b []byte, want string) (string, error) {
	var s whString
	if k := whKind(b); k == "boolean" {
		return "", whWant(want, k)
	}
	if err := s.UnmarshalJSON(b); err != nil {
		return "", whWant(want, whKind(b))
	}
	return strings.TrimSpace(string(s)), nil
}

// whInt accepts an integer as a number or a string ("2", 2, 2.0).
type whInt int

func (n *whInt) UnmarshalJSON(b []byte) error {
	s, err := whScalar(b, "an integer")
	if err != nil || s == "" {
		*n = 0
		return err
	}
	if v, err := strconv.Atoi(s); err == nil {
		*n = whInt(v)
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f > 1<<53 || f < -(1<<53) || f != math.Trunc(f) {
		return fmt.Errorf("want an integer, got %q", whShort(s))
	}
	*n = whInt(f)
	return nil
}

// whFloat accepts a number or a numeric string.
type whFloat float64

func (f *whFloat) UnmarshalJSON(b []byte) error {
	s, err := whScalar(b, "a number")
	if err != nil || s == "" {
		*f = 0
		return err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return fmt.Errorf("want a number, got %q", whShort(s))
	}
	*f = whFloat(v)
	return nil
}

// whDecimal keeps the exact text of a decimal number, sent as a JSON number or a string, for MinorUnits.
type whDecimal string

func (d *whDecimal) UnmarshalJSON(b []byte) error {
	s, err := whScalar(b, "a decimal number")
	*d = whDecimal(s)
	return err
}

// whBool accepts true/false, "true"/"false" and 1/0 in either form.
type whBool bool

func (v *whBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(strings.TrimSpace(string(b)), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*v = true
	case "false", "0", "null", "":
		*v = false
	default:
		return fmt.Errorf("want a boolean, got %q", whShort(s))
	}
	return nil
}

// maxUnixSeconds is the end of year 9999, past which a timestamp is surely not seconds.
const maxUnixSeconds = 253402300799

// whTime accepts unix seconds as a number or a string, with an optional fraction; "" and null are the zero time.
type whTime time.Time

func (t *whTime) UnmarshalJSON(b []byte) error {
	s, err := whScalar(b, "a unix time")
	if err != nil || s == "" {
		*t = whTime{}
		return err
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil && sec >= 0 && sec <= maxUnixSeconds {
		*t = whTime(time.Unix(sec, 0).UTC())
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= maxUnixSeconds) {
		return fmt.Errorf("want a unix time in seconds, got %q", whShort(s))
	}
	sec, frac := math.Modf(f)
	*t = whTime(time.Unix(int64(sec), int64(frac*1e9)).UTC())
	return nil
}

// whKind names the kind of a JSON value from its first byte.
func whKind(b []byte) string {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func whWant(want, got string) error {
	return fmt.Errorf("want %s, got %s %s", want, whArticle(got), got)
}

func whArticle(kind string) string {
	if kind == "object" || kind == "array" {
		return "an"
	}
	return "a"
}

// whShort keeps quoted input short in problem messages.
func whShort(s string) string {
	if len(s) > 40 {
		i := 40
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		return s[:i] + "..."
	}
	return s
}
