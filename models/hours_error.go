package models

import (
	"fmt"
	"strings"
)

// Why opening hours are refused: each names a message the dashboard's catalogs word as hours.<reason>, filled from
// the HoursError's Args. Error() is the English of each, for the API and the logs.
const (
	HoursNotJSON           = "not_json"            // the stored form is not JSON
	HoursExceptionsNotJSON = "exceptions_not_json" // its exceptions are not a map of dates
	HoursUnknownDay        = "unknown_day"         // Day: not mon … sun
	HoursNotRanges         = "not_ranges"          // the stored day is not pairs of times
	HoursNotATime          = "not_a_time"          // Time: not HH:MM
	HoursNotADate          = "not_a_date"          // Date: not YYYY-MM-DD
	HoursTooManyExceptions = "too_many_exceptions" // N: the limit
	HoursTooManyRanges     = "too_many_ranges"     // N: the limit
	HoursSameTime          = "same_time"           // Range: opens and closes at once
	HoursOverlap           = "overlap"             // Range, Other: two ranges of a day share time
	HoursPastMidnight      = "past_midnight"       // Range: an overnight range that is not the day's last
	HoursWriteLike         = "write_like"          // a day as typed is not ranges like 09:00-14:00
	HoursLineWriteLike     = "line_write_like"     // an exception line's hours are neither ranges nor closed
	HoursLineDate          = "line_date"           // an exception line does not start with a date
	HoursLineTwice         = "line_twice"          // Date: listed on two lines
	HoursNone              = "none"                // no day has hours and always open is not ticked
)

// HoursReasons are every HoursError reason, for the catalogs' test.
var HoursReasons = []string{HoursNotJSON, HoursExceptionsNotJSON, HoursUnknownDay, HoursNotRanges, HoursNotATime,
	HoursNotADate, HoursTooManyExceptions, HoursTooManyRanges, HoursSameTime, HoursOverlap, HoursPastMidnight,
	HoursWriteLike, HoursLineWriteLike, HoursLineDate, HoursLineTwice, HoursNone}

// HoursError is a refusal of opening hours that each reader words in their own language: Reason says what is wrong
// (one of the Hours* reasons), Args fill its message (pairs of name and value: "Time", "25:00"), and Day, Date or
// Line say where (a weekday key, an exception date, a line of the exception days as typed).
type HoursError struct {
	Reason string
	Args   []any
	Day    string // mon … sun
	Date   string // 2026-12-25
	Line   int    // from 1
}

func hoursErr(reason string, args ...any) *HoursError { return &HoursError{Reason: reason, Args: args} }

// hoursEnglish are the reasons' English, with %[n]s standing for the nth value of Args (from 1).
var hoursEnglish = map[string]string{
	HoursNotJSON:           `opening hours must be JSON like {"mon":[["09:00","22:00"]]}`,
	HoursExceptionsNotJSON: `exceptions must be like {"2026-12-25":[]}`,
	HoursUnknownDay:        "unknown day %[1]q in opening hours; use mon, tue, wed, thu, fri, sat, sun",
	HoursNotRanges:         `opening hours must be ranges like ["09:00","22:00"]`,
	HoursNotATime:          "%[1]q is not a time like 09:30",
	HoursNotADate:          "%[1]q is not a date like 2026-12-25",
	HoursTooManyExceptions: "at most %[1]v exception days",
	HoursTooManyRanges:     "at most %[1]v ranges a day",
	HoursSameTime:          "%[1]s opens and closes at the same time",
	HoursOverlap:           "%[1]s overlaps %[2]s",
	HoursPastMidnight:      "%[1]s runs past midnight, so it must be the day's last range",
	HoursWriteLike:         "write hours like 09:00-14:00, 18:00-02:00",
	HoursLineWriteLike:     "write hours like 09:00-14:00, 18:00-02:00, or closed",
	HoursLineDate:          "start with a date like 2026-12-25",
	HoursLineTwice:         "%[1]s is listed twice",
	HoursNone:              "enter the hours of at least one day, or tick always open",
}

// Error is the refusal in English: where, then what ("Monday: 09:00–14:00 overlaps 13:00–18:00").
func (e *HoursError) Error() string {
	var vals []any
	for i := 1; i < len(e.Args); i += 2 {
		vals = append(vals, e.Args[i])
	}
	what := fmt.Sprintf(hoursEnglish[e.Reason], vals...)
	var where []string
	if e.Day != "" {
		where = append(where, dayName(dayIndex(e.Day)))
	}
	if e.Line > 0 {
		where = append(where, fmt.Sprintf("line %d", e.Line))
	}
	if e.Date != "" {
		where = append(where, e.Date)
	}
	return strings.Join(append(where, what), ": ")
}

// at is e said of a weekday key or an exception date (key is one or the other).
func (e *HoursError) at(key string) *HoursError {
	if dayIndex(key) >= 0 {
		e.Day = key
	} else {
		e.Date = key
	}
	return e
}
