package models

import (
	"strings"
	"testing"
	"time"
)

func mustHours(t *testing.T, s string) OpeningHours {
	t.Helper()
	h, err := ParseOpeningHours(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestOpeningHours_IsOpenAcrossMidnightDSTAndExceptionDays(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	h := mustHours(t, `{"mon":[["09:00","17:00"]],"thu":[["18:00","02:00"]],"fri":[["18:00","02:00"]],"sat":[["18:00","02:00"]],
		"sun":[["01:00","04:00"]],"exceptions":{"2026-12-24":[],"2026-12-31":[["18:00","03:00"]]}}`)
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, ny) }
	tests := []struct {
		name string
		t    time.Time
		open bool
	}{
		{"monday inside", at(2026, 11, 30, 10, 0), true},
		{"monday at closing", at(2026, 11, 30, 17, 0), false},
		{"friday evening", at(2026, 12, 4, 23, 59), true},
		{"after midnight, friday's range", at(2026, 12, 5, 1, 30), true},
		{"friday's range ended", at(2026, 12, 5, 2, 0), false},
		{"before the evening opens", at(2026, 12, 4, 17, 59), false},
		{"monday after sunday: no overnight range", at(2026, 11, 30, 1, 0), false},
		{"spring forward night: saturday's range at 01:30 EST", at(2026, 3, 8, 1, 30), true},
		{"spring forward: 03:30 EDT is within sunday's 01:00–04:00", at(2026, 3, 8, 3, 30), true},
		{"spring forward: 03:05 EDT, an hour after 01:59 EST", time.Date(2026, 3, 8, 7, 5, 0, 0, time.UTC), true},
		{"spring forward: sunday's range ended at 04:00 EDT", time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC), false},
		{"fall back: first 01:30 (EDT)", time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), true},
		{"fall back: second 01:30 (EST)", time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), true},
		{"fall back: 04:30 EST, after sunday's range", time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC), false},
		{"christmas eve is an exception: closed", at(2026, 12, 24, 20, 0), false},
		{"and its night is closed too", at(2026, 12, 25, 1, 0), false},
		{"new year's eve runs to 03:00", at(2027, 1, 1, 2, 30), true},
		{"new year's eve ended", at(2027, 1, 1, 3, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := h.IsOpen(tt.t, ny); got != tt.open {
				t.Fatalf("IsOpen(%s) = %v, want %v", tt.t.In(ny).Format(time.RFC3339), got, tt.open)
			}
		})
	}
	if !(OpeningHours{}).IsOpen(time.Now(), time.UTC) {
		t.Fatal("no hours is always open")
	}
}

func TestOpeningHours_ValidateRejectsWhatCannotBeMeant(t *testing.T) {
	tests := []struct{ stored, want string }{
		{`{"mon":[["09:00","09:00"]]}`, "same time"},
		{`{"mon":[["09:00","14:00"],["13:00","18:00"]]}`, "overlaps"},
		{`{"mon":[["22:00","02:00"],["08:00","23:30"]]}`, "overlaps"},
		{`{"mon":[["9:00","14:00"]]}`, "not a time"},
		{`{"mon":[["09:00","24:00"]]}`, "not a time"},
		{`{"fun":[["09:00","14:00"]]}`, "unknown day"},
		{`{"exceptions":{"2026-02-30":[]}}`, "not a date"},
		{`{"mon":[["09:00"]]}`, "ranges like"},
		{`not json`, "must be JSON"},
	}
	for _, tt := range tests {
		if _, err := ParseOpeningHours(tt.stored); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.stored, err, tt.want)
		}
	}
	for _, ok := range []string{``, `{"mon":[["09:00","17:00"]]}`, `{"mon":[["12:00","15:00"],["19:00","01:00"]]}`, `{"exceptions":{"2026-12-25":[]}}`} {
		if _, err := ParseOpeningHours(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestOpeningHours_FormRoundTripAndDescription(t *testing.T) {
	var h OpeningHours
	fri, err := ParseRanges(" 12:00-15:00, 18:00 – 02:00 ")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.SetDay("fri", fri); err != nil {
		t.Fatal(err)
	}
	if h.Exceptions, err = ParseExceptions("2026-12-31 18:00-03:00\n\n2026-12-25 closed\n"); err != nil {
		t.Fatal(err)
	}
	back := mustHours(t, h.String())
	if got := FormatRanges(back.Day("fri")); got != "12:00-15:00, 18:00-02:00" {
		t.Fatalf("friday %q", got)
	}
	if got := FormatExceptions(back.Exceptions, "closed"); got != "2026-12-25 closed\n2026-12-31 18:00-03:00\n" {
		t.Fatalf("exceptions %q", got)
	}
	if got := back.DescribeIn(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), english); got != "Fri 12:00–15:00, 18:00–02:00; closed 2026-12-25; 2026-12-31 18:00–03:00" {
		t.Fatalf("describe %q", got)
	}
	if got := back.DescribeIn(time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC), english); got != "Fri 12:00–15:00, 18:00–02:00" {
		t.Fatalf("past exceptions are not described: %q", got)
	}
	for _, bad := range []string{"9-5", "09:00", "2026-12-25 9-5", "25/12 closed", "2026-12-25 closed\n2026-12-25 closed"} {
		_, err1 := ParseRanges(bad)
		_, err2 := ParseExceptions(bad)
		if err1 == nil && err2 == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

var english = HoursWords{Days: [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"},
	Closed: func(date string) string { return "closed " + date }}

// A Spanish or Portuguese merchant closes a day in their own word, whatever its case; it reads back in the word
// asked for.
func TestOpeningHours_ExceptionDaysAreClosedInTheMerchantsWord(t *testing.T) {
	ex, err := ParseExceptions("2026-12-24 Cerrado\n2026-12-25 fechado\n2026-12-26 CLOSED\n2026-12-31 18:00-02:00")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"2026-12-24", "2026-12-25", "2026-12-26"} {
		if rs, ok := ex[d]; !ok || len(rs) != 0 {
			t.Errorf("%s: %v (listed %v), want closed", d, rs, ok)
		}
	}
	if len(ex["2026-12-31"]) != 1 {
		t.Fatalf("the open exception day: %v", ex["2026-12-31"])
	}
	if got := FormatExceptions(ex, "fechado"); got != "2026-12-24 fechado\n2026-12-25 fechado\n2026-12-26 fechado\n2026-12-31 18:00-02:00\n" {
		t.Fatalf("written back %q", got)
	}
	for _, bad := range []string{"2026-12-25 chiuso", "2026-12-25 cerrado hoy"} {
		if _, err := ParseExceptions(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
