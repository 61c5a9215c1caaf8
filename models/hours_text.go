package models

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// ClosedWords mark a closed day, in each language the dashboard speaks: a merchant types their own.
var ClosedWords = []string{"closed", "cerrado", "fechado"}

// ParseRanges reads one day of hours as a merchant types them: "09:00-14:00, 18:00-02:00" (an en dash works too;
// empty or one of ClosedWords = closed). What it cannot read is a *HoursError.
func ParseRanges(s string) ([]TimeRange, error) {
	s = strings.TrimSpace(s)
	if s == "" || slices.ContainsFunc(ClosedWords, func(w string) bool { return strings.EqualFold(s, w) }) {
		return nil, nil
	}
	var out []TimeRange
	for _, part := range strings.Split(s, ",") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, " ", ""), "–", "-")
		from, to, ok := strings.Cut(part, "-")
		if !ok {
			return nil, hoursErr(HoursWriteLike)
		}
		f, err1 := ParseClock(from)
		t, err2 := ParseClock(to)
		if err1 != nil || err2 != nil {
			return nil, hoursErr(HoursWriteLike)
		}
		out = append(out, TimeRange{f, t})
	}
	return out, nil
}

// FormatRanges is ParseRanges' input for rs.
func FormatRanges(rs []TimeRange) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = clock(r.From) + "-" + clock(r.To)
	}
	return strings.Join(s, ", ")
}

// ParseExceptions reads exception days, one a line: "2026-12-25 closed" (or cerrado, fechado) or
// "2026-12-31 18:00-23:00". What it cannot read is a *HoursError naming the line.
func ParseExceptions(s string) (map[string][]TimeRange, error) {
	out := map[string][]TimeRange{}
	for n, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		date, rest, _ := strings.Cut(line, " ")
		if _, err := time.Parse(dateLayout, date); err != nil {
			return nil, &HoursError{Reason: HoursLineDate, Line: n + 1}
		}
		if _, dup := out[date]; dup {
			return nil, &HoursError{Reason: HoursLineTwice, Args: []any{"Date", date}, Line: n + 1}
		}
		rs, err := ParseRanges(rest)
		if err != nil {
			return nil, &HoursError{Reason: HoursLineWriteLike, Line: n + 1}
		}
		out[date] = rs
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// FormatExceptions is ParseExceptions' input for ex, by date, with closed (one of ClosedWords) for a closed day.
func FormatExceptions(ex map[string][]TimeRange, closed string) string {
	dates := make([]string, 0, len(ex))
	for d := range ex {
		dates = append(dates, d)
	}
	sort.Strings(dates)
	var b strings.Builder
	for _, d := range dates {
		if len(ex[d]) == 0 {
			fmt.Fprintf(&b, "%s %s\n", d, closed)
		} else {
			fmt.Fprintf(&b, "%s %s\n", d, FormatRanges(ex[d]))
		}
	}
	return b.String()
}

// Day returns the ranges of a weekday key (mon … sun).
func (h OpeningHours) Day(key string) []TimeRange {
	if i := dayIndex(key); i >= 0 {
		return h.Week[i]
	}
	return nil
}

// SetDay sets the ranges of a weekday key (mon … sun); an unknown key is an error.
func (h *OpeningHours) SetDay(key string, rs []TimeRange) error {
	i := dayIndex(key)
	if i < 0 {
		return hoursErr(HoursUnknownDay, "Day", key)
	}
	h.Week[i] = rs
	return nil
}
