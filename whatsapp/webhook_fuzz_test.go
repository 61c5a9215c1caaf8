package whatsapp

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Hostile and malformed input: the parser rejects only bodies that are not JSON objects and keeps everything else.

func TestParseWebhook_RejectsOnlyNonObjects(t *testing.T) {
	for _, body := range []string{"", " ", "null", "[]", `[{"object":"x"}]`, "42", `"x"`, "true", "{", `{"entry":[}`, "{} {}", "\xff"} {
		if n, err := ParseWebhook([]byte(body)); err == nil || n != nil {
			t.Errorf("ParseWebhook(%q) = %v, %v; want an error", body, n, err)
		}
	}
	for _, body := range []string{"{}", ` {"object":"page"} `, `{"entry":null}`, `{"object":1,"entry":[]}`} {
		if _, err := ParseWebhook([]byte(body)); err != nil {
			t.Errorf("ParseWebhook(%q): %v", body, err)
		}
	}
}

// wrap puts a value into a one-change webhook body.
func wrap(value string) []byte {
	return []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":` + value + `}]}]}`)
}

func TestParseWebhook_AcceptsLooseTypes(t *testing.T) {
	c := mustParse(t, wrap(`{"metadata":{"phone_number_id":106540352242922},
		"contacts":[{"wa_id":16505551234,"profile":{"name":"N"}}],
		"messages":[{"id":"m1","from":16505551234,"timestamp":1749416383,"type":"order",
			"order":{"catalog_id":194836987003835,"product_items":[
				{"product_retailer_id":"a","quantity":"3","item_price":"12.345","currency":"KWD"},
				{"product_retailer_id":"b","quantity":2.0,"item_price":"0.1","currency":"usd"},
				{"product_retailer_id":"c","quantity":1,"item_price":300,"currency":"JPY"}]}}],
		"statuses":[{"id":"s1","status":"read","timestamp":"1749416460.5","pricing":{"billable":"true"},
			"errors":[{"code":"131047"}]}]}`))
	eq(t, "phone number id", c.MetaPhoneID, "106540352242922")
	eq(t, "contact", c.Contacts[0].WaID, "16505551234")
	m := c.Messages[0]
	eq(t, "from", m.From, "16505551234")
	eq(t, "timestamp", m.Timestamp, time.Unix(1749416383, 0).UTC())
	eq(t, "catalog", m.Order.CatalogID, "194836987003835")
	eq(t, "KWD", m.Order.Items[0], OrderItem{RetailerID: "a", Quantity: 3, UnitPrice: 12345, Currency: "KWD", PriceText: "12.345"})
	eq(t, "USD", m.Order.Items[1].UnitPrice, int64(10))
	eq(t, "JPY", m.Order.Items[2].UnitPrice, int64(300))
	s := c.Statuses[0]
	eq(t, "status time", s.Timestamp, time.Unix(1749416460, 5e8).UTC())
	eq(t, "billable", s.Billable, true)
	eq(t, "error code", s.Errors[0].Code, 131047)
}

func TestParseWebhook_KeepsEachBadItemOnItsOwn(t *testing.T) {
	n, err := ParseWebhook(wrap(`{
		"contacts":[{"wa_id":{"x":1},"user_id":"US.1","profile":{"name":"N"}}, 7],
		"messages":[
			{"id":"good1","from":"1","timestamp":"1","type":"text","text":{"body":"hi"}},
			{"id":"bad-fields","type":{"nested":true},"timestamp":{},"text":"not an object","context":{"id":"c1"}},
			42,
			"string",
			{"id":"bad-price","type":"order","order":{"product_items":[
				{"product_retailer_id":"x","item_price":"-5","currency":"USD"},
				{"product_retailer_id":"y","item_price":"abc","quantity":[1]},
				{"product_retailer_id":"z","item_price":1.25,"quantity":1}]}},
			{"id":"unknown","from_user_id":"US.9","type":"pool_vote","pool_vote":{"a":1}},
			{"id":"good2","from":"2","type":"text","text":{"body":"there"}}],
		"statuses":[{"id":"s1","status":"sent"},{"id":"s2","timestamp":[],"errors":{"code":1}},[]],
		"errors":"oops"}`))
	if err != nil {
		t.Fatal(err)
	}
	c := n.Changes[0]
	var ids []string
	for _, m := range c.Messages {
		ids = append(ids, m.ID)
		if !json.Valid(m.Raw) {
			t.Errorf("%s: raw %q", m.ID, m.Raw)
		}
	}
	eq(t, "ids", strings.Join(ids, ","), "good1,bad-fields,,,bad-price,unknown,good2")
	for i, m := range c.Messages {
		bad := i >= 1 && i <= 4
		if (m.Problem != "") != bad {
			t.Errorf("message %d (%s): problem %q", i, m.ID, m.Problem)
		}
	}
	eq(t, "good text", c.Messages[0].Text+" "+c.Messages[6].Text, "hi there")
	eq(t, "raw kept", string(c.Messages[2].Raw), "42")
	bf := c.Messages[1]
	eq(t, "context kept beside bad fields", bf.ContextID, "c1")
	for _, want := range []string{"type:", "timestamp:", "text:"} {
		if !strings.Contains(bf.Problem, want) {
			t.Errorf("problem %q does not mention %q", bf.Problem, want)
		}
	}
	o := c.Messages[4].Order
	if len(o.Items) != 3 || o.Items[0].UnitPrice != 0 || o.Items[0].PriceText != "-5" || o.Items[1].RetailerID != "y" {
		t.Errorf("bad-price items %+v", o.Items)
	}
	eq(t, "good item beside bad ones", o.Items[2].UnitPrice, int64(125))
	if p := c.Messages[4].Problem; !strings.Contains(p, "product_items[0].item_price") || !strings.Contains(p, "product_items[1]") {
		t.Errorf("bad-price problem %q", p)
	}
	u := c.Messages[5]
	eq(t, "unknown type kept", u.Type+" "+u.SenderKey(), "pool_vote US.9")
	eq(t, "statuses", len(c.Statuses), 3)
	eq(t, "status ids", c.Statuses[0].ID+","+c.Statuses[1].ID, "s1,s2")
	if c.Statuses[0].Problem != "" || c.Statuses[1].Problem == "" || c.Statuses[2].Problem == "" {
		t.Errorf("status problems %q %q %q", c.Statuses[0].Problem, c.Statuses[1].Problem, c.Statuses[2].Problem)
	}
	eq(t, "contacts", len(c.Contacts), 2)
	eq(t, "contact kept", c.Contacts[0].UserID+" "+c.Contacts[0].Name, "US.1 N")
	// Every problem is reported at the change level too, with where it was.
	all := strings.Join(n.AllProblems(), "\n")
	for _, want := range []string{"messages[1] bad-fields:", "messages[2]: want an object, got a number", "statuses[1] s2:", "contacts[0]:", "contacts[1]:", "errors:"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
}

func TestParseWebhook_KeepsBrokenEnvelopes(t *testing.T) {
	for body, want := range map[string]string{
		`{"object":"whatsapp_business_account","entry":{"id":"1"}}`:                        "entry: want an array, got an object",
		`{"object":{},"entry":[]}`:                                                         "object: want a string",
		`{"entry":[7]}`:                                                                    "entry[0]: want an object, got a number",
		`{"entry":[{"id":"1","changes":"x"}]}`:                                             "entry[0].changes: want an array",
		`{"entry":[{"id":"1","changes":[{"field":"messages","value":[1]}]}]}`:              "value: want an object, got an array",
		`{"entry":[{"id":"1","changes":[{"field":"messages"}]}]}`:                          "no value",
		`{"entry":[{"id":"1","changes":[{"field":"x","value":{"metadata":"m"}}]}]}`:        "metadata: want an object",
		`{"entry":[{"id":"1","changes":[{"field":"x","value":{"messages":{"id":"1"}}}]}]}`: "messages: want an array, got an object",
	} {
		n, err := ParseWebhook([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", body, err)
			continue
		}
		if all := strings.Join(n.AllProblems(), "\n"); !strings.Contains(all, want) {
			t.Errorf("%s: problems %q, want %q", body, all, want)
		}
	}
	// The value is kept whole even when it makes no sense.
	n, _ := ParseWebhook([]byte(`{"entry":[{"id":"1","changes":[{"field":"messages","value":[1]}]}]}`))
	eq(t, "value", string(n.Changes[0].Value), "[1]")
}

func TestParseWebhook_ReferredProduct(t *testing.T) {
	c := mustParse(t, wrap(`{"messages":[{"id":"m","from":"1","type":"text","text":{"body":"Is this in stock?"},
		"context":{"from":"15550783881","id":"wamid.q","referred_product":{"catalog_id":"cat","product_retailer_id":"sku-1"}}}]}`))
	m := c.Messages[0]
	eq(t, "product", *m.ReferredProduct, ReferredProduct{CatalogID: "cat", RetailerID: "sku-1"})
	eq(t, "context", m.ContextID+" "+m.Text, "wamid.q Is this in stock?")
}

// TestParseWebhook_SurvivesEveryTypeSwap replaces, in every fixture and peer case, each JSON node in turn with
// values of the wrong type, and checks that the body still parses, encodes, and keeps every message and status.
func TestParseWebhook_SurvivesEveryTypeSwap(t *testing.T) {
	if testing.Short() {
		t.Skip("exhaustive")
	}
	hostile := []any{nil, map[string]any{}, []any{}, []any{1, "x"}, "x", "", json.Number("-1.5e3"), true}
	for name, body := range seedBodies(t) {
		var root any
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if err := dec.Decode(&root); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		swaps := 0
		eachNode(root, func(orig any, set func(any)) {
			for _, h := range hostile {
				set(h)
				mutated, err := json.Marshal(root)
				if err != nil {
					t.Fatal(err)
				}
				checkKeepsItems(t, name, mutated)
				swaps++
			}
			set(orig)
		})
		if swaps == 0 {
			t.Errorf("%s: nothing swapped", name)
		}
	}
}

// eachNode calls visit for every value below v with a setter that replaces it in its parent.
func eachNode(v any, visit func(orig any, set func(any))) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			visit(child, func(n any) { x[k] = n })
			eachNode(child, visit)
		}
	case []any:
		for i, child := range x {
			visit(child, func(n any) { x[i] = n })
			eachNode(child, visit)
		}
	}
}

// checkKeepsItems parses body and checks that each change has as many messages, echoes and statuses as its
// value's arrays hold.
func checkKeepsItems(t *testing.T, name string, body []byte) {
	t.Helper()
	n, err := ParseWebhook(body)
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, body)
	}
	if _, err := json.Marshal(n); err != nil {
		t.Fatalf("%s: result does not encode: %v\n%s", name, err, body)
	}
	var env struct {
		Entry []struct {
			Changes []struct {
				Value struct {
					Messages      []json.RawMessage
					MessageEchoes []json.RawMessage `json:"message_echoes"`
					Statuses      []json.RawMessage
				}
			}
		}
	}
	if json.Unmarshal(body, &env) != nil {
		return // the envelope itself was broken; no count to compare with
	}
	i := 0
	for _, e := range env.Entry {
		for _, c := range e.Changes {
			if i >= len(n.Changes) {
				t.Fatalf("%s: %d changes parsed\n%s", name, len(n.Changes), body)
			}
			got := n.Changes[i]
			if len(got.Messages) != len(c.Value.Messages) || len(got.Echoes) != len(c.Value.MessageEchoes) ||
				len(got.Statuses) != len(c.Value.Statuses) {
				t.Fatalf("%s: items dropped\n%s", name, body)
			}
			i++
		}
	}
}

func TestLenientScalars(t *testing.T) {
	unix := func(sec, nsec int64) time.Time { return time.Unix(sec, nsec).UTC() }
	for in, want := range map[string]time.Time{
		`"1749416383"`: unix(1749416383, 0), `1749416383`: unix(1749416383, 0), `" 1749416383 "`: unix(1749416383, 0),
		`"1749416383.25"`: unix(1749416383, 25e7), `1.749416383e9`: unix(1749416383, 0), `""`: {}, `null`: {},
	} {
		var got whTime
		if err := json.Unmarshal([]byte(in), &got); err != nil || !time.Time(got).Equal(want) {
			t.Errorf("timestamp %s = %v, %v; want %v", in, time.Time(got), err, want)
		}
	}
	for in, want := range map[string]int{`3`: 3, `"3"`: 3, `3.0`: 3, `"-2"`: -2, `null`: 0, `1e3`: 1000} {
		var got whInt
		if err := json.Unmarshal([]byte(in), &got); err != nil || int(got) != want {
			t.Errorf("integer %s = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]bool{`true`: true, `"true"`: true, `1`: true, `"0"`: false, `false`: false, `null`: false} {
		var got whBool
		if err := json.Unmarshal([]byte(in), &got); err != nil || bool(got) != want {
			t.Errorf("boolean %s = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{`"a\u00e9b"`: "aéb", `"plain"`: "plain", `12.50`: "12.50", `true`: "true", `null`: ""} {
		var got whString
		if err := json.Unmarshal([]byte(in), &got); err != nil || string(got) != want {
			t.Errorf("string %s = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := []struct {
		in  string
		dst any
	}{
		{`"abc"`, new(whTime)}, {`-5`, new(whTime)}, {`1e20`, new(whTime)}, {`{}`, new(whTime)}, {`true`, new(whTime)},
		{`"2.5"`, new(whInt)}, {`true`, new(whInt)}, {`[1]`, new(whInt)}, {`1e300`, new(whInt)},
		{`"yes"`, new(whBool)}, {`{}`, new(whString)}, {`[]`, new(whString)}, {`"NaN"`, new(whFloat)}, {`{}`, new(whDecimal)},
	}
	for _, b := range bad {
		if err := json.Unmarshal([]byte(b.in), b.dst); err == nil || strings.Contains(err.Error(), "whatsapp.") {
			t.Errorf("%s into %T: %v; want a readable error", b.in, b.dst, err)
		}
	}
}

// seedBodies returns every fixture body and every peer case, sorted by name.
func seedBodies(t testing.TB) map[string][]byte {
	out := peerCases(t)
	files, _ := filepath.Glob(filepath.Join("testdata", "webhooks", "*.json"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = b
	}
	return out
}

func FuzzParseWebhook(f *testing.F) {
	seeds := seedBodies(f)
	names := make([]string, 0, len(seeds))
	for name := range seeds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f.Add(seeds[name])
	}
	f.Add(wrap(`{"messages":[{"id":1,"timestamp":"x","order":{"product_items":[{"item_price":"1e400"}]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseWebhook(body)
		isObject := json.Valid(body) && whKind(body) == "object"
		if (err == nil) != isObject {
			t.Fatalf("err = %v for a body that is a JSON object: %v", err, isObject)
		}
		if err != nil {
			return
		}
		_ = n.AllProblems()
		// Everything kept raw is valid JSON, so the result can be stored or re-encoded as is.
		if _, err := json.Marshal(n); err != nil {
			t.Fatalf("result does not encode: %v", err)
		}
		for _, c := range n.Changes {
			for _, m := range append(c.Messages, c.Echoes...) {
				_ = m.SenderKey()
				if m.Order != nil {
					for _, it := range m.Order.Items {
						_ = FormatMoney(it.UnitPrice, it.Currency)
					}
				}
			}
		}
	})
}

func BenchmarkParseWebhook(b *testing.B) {
	for _, name := range []string{"text.json", "order.json"} {
		body := readFixture(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := ParseWebhook(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
