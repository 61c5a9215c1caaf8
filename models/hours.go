package models

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// OpeningHours is when a business takes orders: ranges for each weekday, and exception days (holidays, a special
// evening) that replace the weekday's ranges on that date. A range that ends at or before its start runs past
// midnight (18:00–02:00 is open until 2 in the morning of the next day). No ranges at all means always open.
//
// Stored as JSON: {"mon":[["09:00","22:00"]],"fri":[["18:00","02:00"]],"exceptions":{"2026-12-25":[]}}; an absent
// day is closed, an exception with no ranges is a closed day.
type OpeningHours struct {
	Week       [7][]TimeRange // indexed by time.Weekday (Sunday = 0)
	Exceptions map[string][]TimeRange
}

// TimeRange is a span of one day's wall clock, in minutes since midnight; To ≤ From runs past midnight.
type TimeRange struct{ From, To int }

// Limits on what a merchant can enter.
const (
	maxRangesPerDay = 6
	maxExceptions   = 400
	dateLayout      = "2006-01-02"
)

var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// DayKeys are the weekday keys of the stored hours, Monday first.
var DayKeys = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// ParseOpeningHours reads stored hours; the empty string is always open.
func ParseOpeningHours(s string) (OpeningHours, error) {
	var h OpeningHours
	if strings.TrimSpace(s) == "" {
		return h, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return h, hoursErr(HoursNotJSON)
	}
	for key, v := range raw {
		if key == "exceptions" {
			var ex map[string][][]string
			if err := json.Unmarshal(v, &ex); err != nil {
				return h, hoursErr(HoursExceptionsNotJSON)
			}
			h.Exceptions = map[string][]TimeRange{}
			for date, rs := range ex {
				ranges, err := parsePairs(date, rs)
				if err != nil {
					return h, err
				}
				h.Exceptions[date] = ranges
			}
			continue
		}
		day := dayIndex(key)
		if day < 0 {
			return h, hoursErr(HoursUnknownDay, "Day", key)
		}
		var rs [][]string
		if err := json.Unmarshal(v, &rs); err != nil {
			return h, hoursErr(HoursNotRanges).at(key)
		}
		ranges, err := parsePairs(key, rs)
		if err != nil {
			return h, err
		}
		h.Week[day] = ranges
	}
	return h, h.Validate()
}

func dayIndex(key string) int {
	for i, k := range dayKeys {
		if k == key {
			return i
		}
	}
	return -1
}

func parsePairs(key string, rs [][]string) ([]TimeRange, error) {
	out := make([]TimeRange, 0, len(rs))
	for _, r := range rs {
		if len(r) != 2 {
			return nil, hoursErr(HoursNotRanges).at(key)
		}
		from, err := parseClock(r[0])
		if err != nil {
			return nil, err.at(key)
		}
		to, err := parseClock(r[1])
		if err != nil {
			return nil, err.at(key)
		}
		out = append(out, TimeRange{from, to})
	}
	return out, nil
}

// ParseClock reads "HH:MM" (24-hour) as minutes since midnight; what is not a time is a *HoursError.
func ParseClock(s string) (int, error) {
	m, err := parseClock(s)
	if err != nil {
		return 0, err
	}
	return m, nil
}

func parseClock(s string) (int, *HoursError) {
	s = strings.TrimSpace(s)
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || len(hh) != 2 || len(mm) != 2 || err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, hoursErr(HoursNotATime, "Time", s)
	}
	return h*60 + m, nil
}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// String is the range as "18:00–02:00".
func (r TimeRange) String() string { return clock(r.From) + "–" + clock(r.To) }

// overnight reports whether the range ends on the next day.
func (r TimeRange) overnight() bool { return r.To <= r.From }

// AlwaysOpen reports whether no hours are set.
func (h OpeningHours) AlwaysOpen() bool {
	for _, d := range h.Week {
		if len(d) > 0 {
			return false
		}
	}
	return len(h.Exceptions) == 0
}

// Validate checks the ranges: not empty, no more than a few a day, none overlapping another of the same day or
// the previous day's run past midnight, and exception dates that exist.
func (h OpeningHours) Validate() error {
	if len(h.Exceptions) > maxExceptions {
		return hoursErr(HoursTooManyExceptions, "N", maxExceptions)
	}
	for d, rs := range h.Week {
		if err := checkDay(dayKeys[d], rs); err != nil {
			return err
		}
	}
	for date, rs := range h.Exceptions {
		if _, err := time.Parse(dateLayout, date); err != nil {
			return hoursErr(HoursNotADate, "Date", date)
		}
		if err := checkDay(date, rs); err != nil {
			return err
		}
	}
	return nil
}

func dayName(d int) string { return time.Weekday(d).String() }

func checkDay(key string, rs []TimeRange) error {
	if len(rs) > maxRangesPerDay {
		return hoursErr(HoursTooManyRanges, "N", maxRangesPerDay).at(key)
	}
	sorted := append([]TimeRange(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].From < sorted[j].From })
	for i, r := range sorted {
		if r.From == r.To {
			return hoursErr(HoursSameTime, "Range", r.String()).at(key)
		}
		if i > 0 && (sorted[i-1].overnight() || r.From < sorted[i-1].To) {
			return hoursErr(HoursOverlap, "Range", sorted[i-1].String(), "Other", r.String()).at(key)
		}
		if r.overnight() && i < len(sorted)-1 {
			return hoursErr(HoursPastMidnight, "Range", r.String()).at(key)
		}
	}
	return nil
}

// ranges are the ranges that apply on a date: its exception, else its weekday's.
func (h OpeningHours) ranges(date time.Time) []TimeRange {
	if rs, ok := h.Exceptions[date.Format(dateLayout)]; ok {
		return rs
	}
	return h.Week[date.Weekday()]
}

// IsOpen reports whether the business is open at t, read on the wall clock of loc: within one of the day's ranges,
// or within the part after midnight of the previous day's last range. Wall-clock reading keeps DST days right (an
// 18:00–02:00 evening is the same evening on the day clocks change).
func (h OpeningHours) IsOpen(t time.Time, loc *time.Location) bool {
	if h.AlwaysOpen() {
		return true
	}
	local := t.In(loc)
	now := local.Hour()*60 + local.Minute()
	today := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, loc)
	for _, r := range h.ranges(today) {
		if now >= r.From && (r.overnight() || now < r.To) {
			return true
		}
	}
	for _, r := range h.ranges(today.AddDate(0, 0, -1)) {
		if r.overnight() && now < r.To {
			return true
		}
	}
	return false
}

// HoursWords are the words DescribeIn writes hours with, in the customer's language: weekday names (Monday first)
// and an exception day the business is closed.
type HoursWords struct {
	Days   [7]string
	Closed func(date string) string
}

// DescribeIn is the hours in words for customers: "Mon 09:00–17:00; Fri 18:00–02:00; closed 2026-12-25". Exception
// days are listed from the date of from on (past ones say nothing to a customer), at most five.
func (h OpeningHours) DescribeIn(from time.Time, w HoursWords) string {
	var parts []string
	for i, key := range DayKeys {
		rs := h.Week[dayIndex(key)]
		if len(rs) == 0 {
			continue
		}
		parts = append(parts, w.Days[i]+" "+joinRanges(rs, ", "))
	}
	var dates []string
	for d := range h.Exceptions {
		if d >= from.Format(dateLayout) {
			dates = append(dates, d)
		}
	}
	sort.Strings(dates)
	for i, d := range dates {
		if i == 5 {
			break
		}
		if rs := h.Exceptions[d]; len(rs) == 0 {
			parts = append(parts, w.Closed(d))
		} else {
			parts = append(parts, d+" "+joinRanges(rs, ", "))
		}
	}
	return strings.Join(parts, "; ")
}

func joinRanges(rs []TimeRange, sep string) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	return strings.Join(s, sep)
}

// MarshalJSON writes the stored form (see OpeningHours).
func (h OpeningHours) MarshalJSON() ([]byte, error) {
	out := map[string]any{}
	for d, rs := range h.Week {
		if len(rs) > 0 {
			out[dayKeys[d]] = pairs(rs)
		}
	}
	if len(h.Exceptions) > 0 {
		ex := map[string][][2]string{}
		for date, rs := range h.Exceptions {
			ex[date] = pairs(rs)
		}
		out["exceptions"] = ex
	}
	return json.Marshal(out)
}

func pairs(rs []TimeRange) [][2]string {
	out := make([][2]string, len(rs))
	for i, r := range rs {
		out[i] = [2]string{clock(r.From), clock(r.To)}
	}
	return out
}

// String is the stored form; always open is the empty string.
func (h OpeningHours) String() string {
	if h.AlwaysOpen() {
		return ""
	}
	b, _ := h.MarshalJSON() // maps of strings always encode
	return string(b)
}
