package web

import (
	"html"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"
	"unicode"
)

// literalAllowlist holds the only literal texts a template may show: names and codes that read the same in every
// language, so they need no catalog message. Each says why it is not a word to translate.
func literalAllowlist() map[string]string {
	return map[string]string{
		"waorder":       "the product's name (the logo, and the brand link before a business has a name)",
		"WhatsApp":      "Meta's product name, labelling a customer's WhatsApp number",
		"USD":           "a currency code: the example of a field that takes ISO codes",
		"Europe/Lisbon": "an IANA time zone id: the example of a field that takes zone ids",
		"https://":      "a URL scheme: the example of the website fields",
	}
}

// hole stands where a template action writes something; it splits literal text into the pieces checked.
const hole = "\x00"

var (
	scriptOrStyle = regexp.MustCompile(`(?is)<(script|style)\b[^>]*>.*?</(script|style)>`)
	tag           = regexp.MustCompile(`(?s)<[^<>]*>`)
	// seenAttrs are the attributes whose values a person reads or hears: tooltips, placeholders, screen-reader
	// labels, image texts, confirmations, and the labels of stacked table cells and of buttons.
	seenAttr  = regexp.MustCompile(`\b(placeholder|title|aria-label|alt|data-confirm|data-label|data-sound-on|data-sound-off)="([^"]*)"`)
	inputType = regexp.MustCompile(`\btype="(submit|button|reset)"`)
	valueAttr = regexp.MustCompile(`\bvalue="([^"]*)"`)
)

// Every word of every page comes from a catalog ({{t "id"}}), so each page exists whole in every language: a text
// node with letters outside template actions, or a visible attribute holding a literal word, fails.
func TestTemplates_EveryWordComesFromACatalog(t *testing.T) {
	pages, err := fs.Glob(Templates, "templates/*.html")
	if err != nil || len(pages) < 20 {
		t.Fatalf("templates: %v (%d)", err, len(pages))
	}
	allowed := literalAllowlist()
	checked := 0
	for _, p := range pages {
		src, err := fs.ReadFile(Templates, p)
		if err != nil {
			t.Fatal(err)
		}
		flat, err := flatten(p, string(src))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for name, text := range flat {
			for _, lit := range literals(text) {
				checked++
				if _, ok := allowed[lit]; !ok {
					t.Errorf("%s (%s): literal text %q: give it a catalog id and write {{t \"id\"}}", p, name, lit)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("no literal text found at all: is the allowlist still used?")
	}
}

// The check itself: a page with a literal word fails it, one whose words come from actions passes.
func TestLiterals_FindsWordsInTextAndSeenAttributes(t *testing.T) {
	flat, err := flatten("x", `{{define "content"}}<h1>Log in</h1><p>{{t "a"}} · {{.N}}&nbsp;</p>`+
		`<input placeholder="e.g. Pizza" title="{{t "b"}}" value="keep" name="q"><input type="submit" value="Send">`+
		`<td data-label="Customer">{{if .X}}✓{{else}}done{{end}}</td><script type="application/json">{{jsText}}</script>{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	got := literals(flat["content"])
	want := []string{"Log in", "e.g. Pizza", "Send", "Customer", "done"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("literals %q, want %q", got, want)
	}
}

// flatten parses a template file and returns each template it defines as its literal text, every action replaced
// by a hole (both branches of an if, range or with are kept, in order).
func flatten(name, src string) (map[string]string, error) {
	tr := parse.New(name)
	tr.Mode = parse.SkipFuncCheck
	set := map[string]*parse.Tree{}
	if _, err := tr.Parse(src, "", "", set); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for n, tree := range set {
		var b strings.Builder
		walk(&b, tree.Root)
		out[n] = b.String()
	}
	return out, nil
}

func walk(b *strings.Builder, n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walk(b, c)
		}
	case *parse.TextNode:
		b.Write(n.Text)
	case *parse.IfNode:
		branch(b, &n.BranchNode)
	case *parse.RangeNode:
		branch(b, &n.BranchNode)
	case *parse.WithNode:
		branch(b, &n.BranchNode)
	default:
		b.WriteString(hole)
	}
}

func branch(b *strings.Builder, n *parse.BranchNode) {
	b.WriteString(hole)
	walk(b, n.List)
	b.WriteString(hole)
	walk(b, n.ElseList)
	b.WriteString(hole)
}

// literals are the pieces of literal text with letters in a flattened template: between tags and actions, and in
// the values of attributes a person reads (and of buttons' value).
func literals(text string) []string {
	var out []string
	text = scriptOrStyle.ReplaceAllString(text, hole)
	for _, t := range tag.FindAllString(text, -1) {
		for _, m := range seenAttr.FindAllStringSubmatch(t, -1) {
			out = append(out, words(m[2])...)
		}
		if inputType.MatchString(t) || strings.HasPrefix(t, "<button") {
			for _, m := range valueAttr.FindAllStringSubmatch(t, -1) {
				out = append(out, words(m[1])...)
			}
		}
	}
	return append(out, words(tag.ReplaceAllString(text, hole))...)
}

// words splits s at the holes and returns the pieces, entities decoded and trimmed, that hold a letter.
func words(s string) []string {
	var out []string
	for _, piece := range strings.Split(s, hole) {
		piece = strings.TrimSpace(html.UnescapeString(piece))
		if strings.IndexFunc(piece, unicode.IsLetter) >= 0 {
			out = append(out, piece)
		}
	}
	return out
}
