package ordering

import (
	"encoding/json"
	"fmt"
	"strings"
)

var weekdays = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// parseHours reads {"mon":[["09:00","22:00"]],...}; a day that is absent is closed.
func parseHours(s string) (map[string][][2]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var h map[string][][2]string
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return nil, fmt.Errorf("opening hours: %w", err)
	}
	return h, nil
}

// ValidateHours checks opening-hours JSON for the settings page.
func ValidateHours(s string) error {
	h, err := parseHours(s)
	if err != nil {
		return err
	}
	for day, ranges := range h {
		known := false
		for _, d := range weekdays {
			known = known || d == day
		}
		if !known {
			return fmt.Errorf("opening hours: unknown day %q (use mon … sun)", day)
		}
		for _, r := range ranges {
			if len(r[0]) != 5 || len(r[1]) != 5 || r[0] >= r[1] {
				return fmt.Errorf("opening hours: %s %s–%s is not a range like 09:00–22:00", day, r[0], r[1])
			}
		}
	}
	return nil
}

func describeHours(h map[string][][2]string) string {
	var parts []string
	for _, d := range weekdays {
		var rs []string
		for _, r := range h[d] {
			rs = append(rs, r[0]+"–"+r[1])
		}
		if len(rs) > 0 {
			parts = append(parts, strings.ToUpper(d[:1])+d[1:]+" "+strings.Join(rs, ", "))
		}
	}
	return strings.Join(parts, "; ")
}
