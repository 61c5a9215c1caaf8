package whatsapp

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ErrNotJSONObject is returned by ParseWebhook for a body that is not a JSON object, the only input it rejects.
var ErrNotJSONObject = errors.New("whatsapp: webhook body is not a JSON object")

// Wire shapes of the envelope. Values, messages, statuses and contacts stay raw at first: they are kept as
// received and decoded one by one.
type whBody struct {
	Object whString  `json:"object"`
	Entry  []whEntry `json:"entry"`
}

type whEntry struct {
	ID      whString   `json:"id"`
	Changes []whChange `json:"changes"`
}

type whChange struct {
	Field whString        `json:"field"`
	Value json.RawMessage `json:"value"`
}

type whValue struct {
	Metadata *struct {
		DisplayPhoneNumber whString `json:"display_phone_number"`
		PhoneNumberID      whString `json:"phone_number_id"`
	} `json:"metadata"`
	Contacts      []json.RawMessage `json:"contacts"`
	Messages      []json.RawMessage `json:"messages"`
	MessageEchoes []json.RawMessage `json:"message_echoes"`
	Statuses      []json.RawMessage `json:"statuses"`
	Errors        []whError         `json:"errors"`
}

type whError struct {
	Code      whInt    `json:"code"`
	Title     whString `json:"title"`
	Message   whString `json:"message"`
	Href      whString `json:"href"`
	ErrorData *struct {
		Details whString `json:"details"`
	} `json:"error_data"`
}

// ParseWebhook decodes a webhook POST body. It returns an error only when body is not a JSON object; anything
// else it cannot understand (unknown fields and types, wrong JSON types, broken items) is kept raw and described
// in Problems, and each message, status and contact is decoded independently of the others, so one bad item never
// hides the rest. Check the signature first (VerifySignature): the parser trusts nothing but does not authenticate.
func ParseWebhook(body []byte) (*Notification, error) {
	if whKind(body) != "object" {
		return nil, ErrNotJSONObject
	}
	var b whBody
	n := &Notification{}
	if err := json.Unmarshal(body, &b); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, fmt.Errorf("%w: %v", ErrNotJSONObject, err)
		}
		b = whBody{}
		n.Problems = whDecode(body, &b)
	}
	n.Object = string(b.Object)
	if len(b.Entry) == 0 && len(n.Problems) == 0 {
		n.Problems = append(n.Problems, "entry: none")
	}
	for i, e := range b.Entry {
		if len(e.Changes) == 0 && !whHasProblemAt(n.Problems, fmt.Sprintf("entry[%d]", i)) {
			n.Problems = append(n.Problems, fmt.Sprintf("entry[%d]: no changes", i))
		}
		for _, c := range e.Changes {
			n.Changes = append(n.Changes, decodeChange(string(e.ID), c))
		}
	}
	return n, nil
}

// whHasProblemAt reports whether a problem was already recorded at path or inside it.
func whHasProblemAt(problems []string, path string) bool {
	for _, p := range problems {
		if p == path || strings.HasPrefix(p, path+":") || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}

func decodeChange(wabaID string, wc whChange) Change {
	c := Change{WABAID: wabaID, Field: string(wc.Field), Value: wc.Value}
	if whIsNull(c.Value) {
		c.Value = nil
		c.Problems = append(c.Problems, "no value")
		return c
	}
	var v whValue
	c.Problems = whPrefix("value", whDecode(c.Value, &v))
	if md := v.Metadata; md != nil {
		c.MetaPhoneID, c.DisplayPhoneNumber = string(md.PhoneNumberID), string(md.DisplayPhoneNumber)
	}
	for i, r := range v.Contacts {
		ct := decodeContact(r)
		if ct.Problem != "" {
			c.Problems = append(c.Problems, whWhere("contacts", i, "")+ct.Problem)
		}
		c.Contacts = append(c.Contacts, ct)
	}
	c.Messages = c.messages("messages", v.Messages)
	c.Echoes = c.messages("message_echoes", v.MessageEchoes)
	for i, r := range v.Statuses {
		s := decodeStatus(r)
		if s.Problem != "" {
			c.Problems = append(c.Problems, whWhere("statuses", i, s.ID)+s.Problem)
		}
		c.Statuses = append(c.Statuses, s)
	}
	c.Errors = convertErrors(v.Errors)
	return c
}

func (c *Change) messages(name string, raws []json.RawMessage) []InboundMessage {
	var out []InboundMessage
	for i, r := range raws {
		m := decodeMessage(r, 0)
		if m.Problem != "" {
			c.Problems = append(c.Problems, whWhere(name, i, m.ID)+m.Problem)
		}
		out = append(out, m)
	}
	return out
}

func decodeContact(raw json.RawMessage) Contact {
	var w struct {
		WaID         whString `json:"wa_id"`
		UserID       whString `json:"user_id"`
		ParentUserID whString `json:"parent_user_id"`
		Profile      *struct {
			Name     whString `json:"name"`
			Username whString `json:"username"`
		} `json:"profile"`
	}
	c := Contact{Problem: strings.Join(whDecode(raw, &w), "; ")}
	c.WaID, c.UserID, c.ParentUserID = string(w.WaID), string(w.UserID), string(w.ParentUserID)
	if w.Profile != nil {
		c.Name, c.Username = string(w.Profile.Name), string(w.Profile.Username)
	}
	return c
}

func decodeStatus(raw json.RawMessage) Status {
	var w struct {
		ID              whString  `json:"id"`
		Status          whString  `json:"status"`
		Type            whString  `json:"type"`
		Timestamp       whTime    `json:"timestamp"`
		RecipientID     whString  `json:"recipient_id"`
		RecipientUserID whString  `json:"recipient_user_id"`
		BizOpaque       whString  `json:"biz_opaque_callback_data"`
		Errors          []whError `json:"errors"`
		Conversation    *struct {
			ID     whString `json:"id"`
			Origin *struct {
				Type whString `json:"type"`
			} `json:"origin"`
		} `json:"conversation"`
		Pricing *struct {
			Billable whBool   `json:"billable"`
			Category whString `json:"category"`
		} `json:"pricing"`
	}
	problems := whDecode(raw, &w)
	s := Status{
		ID: string(w.ID), Status: string(w.Status), Type: string(w.Type), Timestamp: time.Time(w.Timestamp),
		RecipientID: string(w.RecipientID), RecipientUserID: string(w.RecipientUserID),
		BizOpaqueCallbackData: string(w.BizOpaque), Errors: convertErrors(w.Errors), Raw: raw,
		Problem: strings.Join(problems, "; "),
	}
	if cv := w.Conversation; cv != nil {
		s.ConversationID = string(cv.ID)
		if cv.Origin != nil {
			s.ConversationCategory = string(cv.Origin.Type)
		}
	}
	if pr := w.Pricing; pr != nil {
		s.Billable, s.PricingCategory = bool(pr.Billable), string(pr.Category)
	}
	return s
}

func convertErrors(ws []whError) []Error {
	var out []Error
	for _, w := range ws {
		e := Error{Code: int(w.Code), Title: string(w.Title), Message: string(w.Message), Href: string(w.Href)}
		if w.ErrorData != nil {
			e.Details = string(w.ErrorData.Details)
		}
		out = append(out, e)
	}
	return out
}

// whDecode unmarshals raw into dst, a pointer to a wire struct. When that fails it decodes again piece by piece
// (structs field by field, arrays item by item, at every depth) so that one bad value costs only itself, and
// returns a reason, with its path, for each value it had to leave empty. Absent and null raw decode to nothing.
func whDecode(raw json.RawMessage, dst any) []string {
	if whIsNull(raw) {
		return nil
	}
	return whHeal(raw, reflect.ValueOf(dst).Elem())
}

// whHeal decodes raw into v, descending into the parts of v when the whole does not decode. Problems come back as
// "path: reason", the path relative to v ("order.product_items[1].quantity") and empty for v itself.
func whHeal(raw json.RawMessage, v reflect.Value) []string {
	err := json.Unmarshal(raw, v.Addr().Interface())
	if err == nil {
		return nil
	}
	v.SetZero()
	kind := whKind(raw)
	t := v.Type()
	if reflect.PointerTo(t).Implements(whUnmarshaler) {
		// A lenient scalar (whTime is a struct inside): it said what was wrong; there is nothing to descend into.
		return []string{whErrText(err, raw)}
	}
	switch {
	case t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct && kind == "object":
		p := reflect.New(t.Elem())
		v.Set(p)
		return whHeal(raw, p.Elem())
	case t.Kind() == reflect.Struct && kind == "object":
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil {
			break
		}
		var problems []string
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" {
				name = t.Field(i).Name
			}
			if fr, ok := whField(fields, name); ok {
				for _, p := range whHeal(fr, v.Field(i)) {
					problems = append(problems, whJoinPath(name, p))
				}
			}
		}
		if problems != nil {
			return problems
		}
	case t.Kind() == reflect.Slice && kind == "array":
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			break
		}
		s := reflect.MakeSlice(t, len(items), len(items))
		var problems []string
		for i, item := range items {
			for _, p := range whHeal(item, s.Index(i)) {
				problems = append(problems, whJoinPath("["+strconv.Itoa(i)+"]", p))
			}
		}
		v.Set(s)
		return problems
	}
	return []string{whErrText(err, raw)}
}

var whUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// whField finds a key the way encoding/json does: exactly, or else ignoring case.
func whField(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	if fr, ok := fields[name]; ok {
		return fr, true
	}
	for k, fr := range fields {
		if strings.EqualFold(k, name) {
			return fr, true
		}
	}
	return nil, false
}

// whJoinPath puts a path segment in front of a problem that may already start with a path.
func whJoinPath(segment, problem string) string {
	if strings.HasPrefix(problem, "[") {
		return segment + problem
	}
	if path, reason, ok := strings.Cut(problem, ": "); ok && !strings.Contains(path, " ") {
		return segment + "." + path + ": " + reason
	}
	return segment + ": " + problem
}

// whErrText makes a decoding error readable without Go type names.
func whErrText(err error, raw json.RawMessage) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a value of another type"
		switch te.Type.Kind() {
		case reflect.Slice:
			want = "an array"
		case reflect.Struct, reflect.Pointer, reflect.Map:
			want = "an object"
		}
		return whWant(want, whKind(raw)).Error()
	}
	return err.Error()
}

// whWhere prefixes a problem with the item it is about: "messages[2] wamid.X: ".
func whWhere(list string, i int, id string) string {
	if id != "" {
		return fmt.Sprintf("%s[%d] %s: ", list, i, id)
	}
	return fmt.Sprintf("%s[%d]: ", list, i)
}

func whIsNull(raw json.RawMessage) bool {
	k := whKind(raw)
	return k == "nothing" || k == "null"
}

func whPrefix(prefix string, problems []string) []string {
	for i, p := range problems {
		problems[i] = whJoinPath(prefix, p)
	}
	return problems
}
