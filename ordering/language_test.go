package ordering_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/waorder/waorder/cache"
	"github.com/waorder/waorder/merchant"
	"github.com/waorder/waorder/metrics"
	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/outbox"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/secretbox"
	"github.com/waorder/waorder/testutil"
	"github.com/waorder/waorder/whatsapp"
	"github.com/waorder/waorder/whatsapp/fakegraph"
)

// graphEnv is env whose replies really go out: an outbox sends them to a fake Graph API.
type graphEnv struct {
	*env
	fake *fakegraph.Server
}

func newGraphEnv(t *testing.T, store *repository.Store, language string) *graphEnv {
	t.Helper()
	return newGraphEnvFor(t, store, models.Business{Fulfillment: models.FulfillPickup, Language: language})
}

// newGraphEnvFor is newGraphEnv for the business biz (see newEnvFor).
func newGraphEnvFor(t *testing.T, store *repository.Store, biz models.Business) *graphEnv {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := box.Seal("EAAG-language-test")
	if err != nil {
		t.Fatal(err)
	}
	e := &graphEnv{env: newEnvFor(t, store, biz, sealed, cache.NewMemory(100)), fake: fakegraph.New()}
	srv := httptest.NewServer(e.fake)
	t.Cleanup(srv.Close)
	o := outbox.New(store, whatsapp.NewClient(srv.URL, "v23.0", nil), box, quiet, metrics.New(), 1000)
	o.Poll, o.RecipientGap = 20*time.Millisecond, 0
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// received waits until the fake Graph API got n messages, and returns their texts (an interactive message's body
// with its [buttons] or [list button] and rows).
func (e *graphEnv) received(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		sent := e.fake.Sent()
		if len(sent) >= n {
			out := make([]string, len(sent))
			for i, r := range sent {
				var m whatsapp.OutgoingMessage
				if err := json.Unmarshal(r.Body, &m); err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				out[i] = m.Text()
			}
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fake Graph API got %d messages, want %d", len(sent), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// expect checks that the messages from index from on contain each of want, in order of the messages.
func expect(t *testing.T, got []string, from int, want ...string) {
	t.Helper()
	all := strings.Join(got[from:], "\n---\n")
	for _, w := range want {
		i := strings.Index(all, w)
		if i < 0 {
			t.Fatalf("%q not among the messages sent:\n%s", w, all)
		}
		all = all[i+len(w):]
	}
}

func TestLanguage_SpanishBusinessTakesAWholeOrderInSpanish(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			e := newGraphEnv(t, be.Open(t), "es")
			e.send(t, "5491100", "text", text("menu")) // not a greeting: the business's language
			expect(t, e.received(t, 2), 0, "¡Bienvenido a Casa! 👋", "¿Qué te gustaría? Toca *Ver menú*", "[Ver menú]")
			e.send(t, "5491100", "interactive", listReply("p:tea"))
			expect(t, e.received(t, 3), 2, "Tea: USD 2.50 cada uno. ¿Cuántos?")
			e.send(t, "5491100", "text", text("dos"))
			expect(t, e.received(t, 4), 3, "Tu carrito:\n2 × Tea — USD 5.00\n*Total: USD 5.00*", "[Finalizar pedido]", "[Vaciar]")
			e.send(t, "5491100", "text", text("finalizar"))
			expect(t, e.received(t, 5), 4, "Confirma tu pedido:", "Recoger en Casa", "[Confirmar]", "[Añadir una nota]")
			e.send(t, "5491100", "text", text("sí"))
			got := e.received(t, 6)
			expect(t, got, 5, "¡Gracias! Recibimos el pedido #1 (USD 5.00):", "Te avisaremos por aquí", "[Cancelar pedido]")
			for _, m := range got {
				for _, english := range []string{"Welcome", "What would you like", "Your cart", "Checkout", "Thank you"} {
					if strings.Contains(m, english) {
						t.Errorf("English %q in a Spanish business's message: %q", english, m)
					}
				}
			}
		})
	}
}

func TestLanguage_PortugueseGreetingSwitchesThatConversationAndItsStatusMessages(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			store := be.Open(t)
			e := newGraphEnv(t, store, "en")
			e.send(t, "5511900", "text", text("Olá, bom dia!"))
			expect(t, e.received(t, 2), 0, "Boas-vindas! Aqui é Casa 👋", "O que você gostaria?", "[Ver cardápio]")
			e.send(t, "5511900", "interactive", listReply("p:cake")) // a tap, not a greeting: the conversation's language
			expect(t, e.received(t, 3), 2, "Cake: USD 4.00 cada. Quantos?")
			e.send(t, "5511900", "text", text("1"))
			e.send(t, "5511900", "interactive", buttonReply("checkout"))
			e.send(t, "5511900", "text", text("sim"))
			expect(t, e.received(t, 6), 3, "Seu carrinho:", "Confirme seu pedido:", "Obrigado! Recebemos o pedido #1")

			cust, err := store.CustomerByWaID(context.Background(), e.biz.ID, "5511900")
			if err != nil {
				t.Fatal(err)
			}
			conv, err := store.Conversation(context.Background(), e.biz.ID, cust.ID)
			if err != nil || conv.Language != "pt" {
				t.Fatalf("the conversation's stored language is %q (%v), want pt", conv.Language, err)
			}
			// Another customer of the same business still gets English.
			e.send(t, "4479000", "text", text("menu"))
			expect(t, e.received(t, 8), 6, "Welcome to Casa! 👋", "What would you like?")

			// The merchant's side writes to the customer in the language of their conversation.
			order, err := store.LastOrder(context.Background(), e.biz.ID, cust.ID)
			if err != nil || order == nil {
				t.Fatalf("no order placed: %v", err)
			}
			svc := merchant.New(store, nil, nil, quiet)
			if _, err := svc.ChangeStatus(context.Background(), e.biz.ID, order.ID, models.StatusConfirmed, "test"); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.UpdateStatus(context.Background(), e.biz.ID, order.ID, merchant.StatusUpdate{To: models.StatusCancelled,
				Actor: "test", Reason: "acabou o bolo"}); err != nil {
				t.Fatal(err)
			}
			expect(t, e.received(t, 10), 8, "✅ Seu pedido #1 (USD 4.00) está confirmado.", "❌ Seu pedido #1 foi cancelado: acabou o bolo")
		})
	}
}
