package locale

import "strings"

// greetings maps how customers open a chat to the language they wrote in. Only greetings count: an order's text
// ("2 pizzas") says nothing reliable about a language.
var greetings = map[string]string{
	"hi": "en", "hello": "en", "hey": "en", "good morning": "en", "good afternoon": "en", "good evening": "en",
	"hola": "es", "buenas": "es", "buenos días": "es", "buenos dias": "es", "buenas tardes": "es", "buenas noches": "es",
	"qué tal": "es", "que tal": "es",
	"olá": "pt", "ola": "pt", "oi": "pt", "bom dia": "pt", "boa tarde": "pt", "boa noite": "pt", "tudo bem": "pt",
}

// FromGreeting returns the language of a message that opens with a greeting ("Hola!", "bom dia, tudo bem?",
// "Hello there"), or "" when it does not open with one.
func FromGreeting(text string) string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return r == ' ' || r == ',' || r == '!' || r == '.' || r == '?' || r == '¡' || r == '¿' || r == '\n' || r == '\t'
	})
	if len(words) >= 2 {
		if l := greetings[words[0]+" "+words[1]]; l != "" {
			return l
		}
	}
	if len(words) >= 1 {
		return greetings[words[0]]
	}
	return ""
}
