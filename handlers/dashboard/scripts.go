package dashboard

import "github.com/waorder/waorder/locale"

// This file holds what the dashboard's scripts write in the browser: the layout hands them their messages in the
// page's language as a JSON block (<script type="application/json" id="i18n">), which the Content-Security-Policy
// allows because it never runs.

// jsMessages are the catalog ids the scripts (web/static/app.js, signup.js, simulator.js) write, each with the
// fields it fills in the browser.
func jsMessages() map[string][]string {
	return map[string][]string{
		"orders.new_order_toast":       {"Number", "Customer", "Total"},
		"settings.signup_connecting":   nil,
		"settings.signup_not_finished": nil,
		"settings.signup_stopped_at":   {"Step"},
		"settings.signup_meta_error":   {"Error"},
		"settings.signup_unknown":      nil,
		"settings.signup_no_sdk":       nil,
		"settings.signup_follow":       nil,
		"settings.signup_cancelled":    nil,
		"simulator.say_hi":             nil,
		"simulator.send_failed":        {"Status"},
		"ticks.read":                   nil,
		"ticks.delivered":              nil,
		"ticks.sent":                   nil,
		"ticks.queued":                 nil,
		"ticks.failed":                 nil,
		"ticks.failed_title":           nil,
		"ticks.held":                   nil,
		"ticks.held_title":             nil,
	}
}

// jsText is jsMessages in p's language, as the layout's i18n block carries them: each field written "{Field}",
// for the script to fill.
func jsText(p locale.Printer) map[string]string {
	out := map[string]string{}
	for id, fields := range jsMessages() {
		pairs := make([]any, 0, 2*len(fields))
		for _, f := range fields {
			pairs = append(pairs, f, "{"+f+"}")
		}
		out[id] = p.T(id, pairs...)
	}
	return out
}
