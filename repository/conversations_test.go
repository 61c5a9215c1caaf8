package repository_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

// A customer's first message creates their conversation, even when several arrive at once; every later load finds
// that same row, with what was saved in it.
func TestConversation_CreatedOnceThenLoaded(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, c := customerWhoWrote(t, s)
			ids := make([]int64, 8)
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for i := range ids {
				wg.Go(func() {
					conv, err := s.Conversation(ctx, b.ID, c.ID)
					ids[i], errs[i] = conv.ID, err
				})
			}
			wg.Wait()
			for i := range ids {
				if errs[i] != nil || ids[i] == 0 || ids[i] != ids[0] {
					t.Fatalf("concurrent first loads: ids %v, errors %v", ids, errs)
				}
			}
			if n := count(t, s, "SELECT COUNT(*) FROM conversations WHERE customer_id = ?", c.ID); n != 1 {
				t.Fatalf("%d conversations, want 1", n)
			}
			conv, err := s.Conversation(ctx, b.ID, c.ID)
			if err != nil || conv.Version != 0 || conv.State != "" || conv.BusinessID != b.ID || conv.CustomerID != c.ID {
				t.Fatalf("new conversation %+v, %v", conv, err)
			}
			conv.State, conv.Data = "menu", `{"step":"menu"}`
			if err := s.SaveConversation(ctx, conv, time.Now()); err != nil {
				t.Fatal(err)
			}
			again, err := s.Conversation(ctx, b.ID, c.ID)
			if err != nil || again.ID != ids[0] || again.State != "menu" || again.Data != `{"step":"menu"}` || again.Version != 1 {
				t.Fatalf("loaded again: %+v, %v", again, err)
			}
		})
	}
}

// The bot's first message of a customer reads no conversation and writes one, in its commit, with the state the
// message left: nothing is written before. Of several first messages saved at once exactly one creates it; the
// others are told it is stale (and retry with the one that won).
func TestConversationOrNew_WrittenOnceByTheFirstSave(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, c := customerWhoWrote(t, s)
			fresh, err := s.ConversationOrNew(ctx, b.ID, c.ID)
			if err != nil || fresh.ID != 0 || fresh.BusinessID != b.ID || fresh.CustomerID != c.ID {
				t.Fatalf("first load: %+v, %v", fresh, err)
			}
			if n := count(t, s, "SELECT COUNT(*) FROM conversations WHERE customer_id = ?", c.ID); n != 0 {
				t.Fatalf("%d conversations after a load, want none", n)
			}
			errs := make([]error, 8)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					conv := fresh
					conv.State, conv.Data, conv.Language = "menu", `{"step":"menu"}`, "pt"
					errs[i] = s.SaveConversation(ctx, conv, time.Now())
				})
			}
			wg.Wait()
			saved := 0
			for _, err := range errs {
				switch {
				case err == nil:
					saved++
				case !errors.Is(err, models.ErrStale):
					t.Fatalf("concurrent first saves: %v", errs)
				}
			}
			if saved != 1 {
				t.Fatalf("%d first saves succeeded, want 1: %v", saved, errs)
			}
			got, err := s.ConversationOrNew(ctx, b.ID, c.ID)
			if err != nil || got.ID == 0 || got.State != "menu" || got.Data != `{"step":"menu"}` || got.Language != "pt" || got.Version != 1 {
				t.Fatalf("loaded after the save: %+v, %v", got, err)
			}
			got.State = "cart"
			if err := s.SaveConversation(ctx, got, time.Now()); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveConversation(ctx, got, time.Now()); !errors.Is(err, models.ErrStale) {
				t.Fatalf("saved at an old version: %v, want ErrStale", err)
			}
		})
	}
}

// customerWhoWrote stores one business and a message from one customer, and returns both.
func customerWhoWrote(t *testing.T, s *repository.Store) (models.Business, models.Customer) {
	t.Helper()
	b, p := seedBusiness(t, s, "1")
	store(t, s, said(b, p, "wamid.1", annPhone, annUser, time.Now().UTC()))
	return b, oneCustomer(t, s, b, 1)
}

// The bot's first read of a message's sender returns the customer and their conversation together: an unsaved empty
// one before the first save, then everything saved in it (the take-over, the flag, the read mark, the language);
// another business's customer is not found.
func TestCustomerAndConversation_ReadTogetherAsTheySeparatelyWould(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, c := customerWhoWrote(t, s)
			cust, conv, err := s.CustomerAndConversation(ctx, b.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			alone, err := s.Customer(ctx, b.ID, c.ID)
			if err != nil || cust.ID != c.ID || cust.WaID != alone.WaID || cust.Phone != alone.Phone ||
				cust.UserID != alone.UserID || cust.LastInboundAt == nil || !cust.LastInboundAt.Equal(*alone.LastInboundAt) {
				t.Fatalf("customer %+v, want %+v (%v)", cust, alone, err)
			}
			if conv.ID != 0 || conv.BusinessID != b.ID || conv.CustomerID != c.ID || conv.Data != "{}" {
				t.Fatalf("before the first save: %+v, want an unsaved empty conversation", conv)
			}

			conv.State, conv.Data, conv.Language = "menu", `{"step":"menu"}`, "es"
			if err := s.SaveConversation(ctx, conv, time.Now()); err != nil {
				t.Fatal(err)
			}
			at := time.Now().UTC().Truncate(time.Second)
			if err := s.FlagThread(ctx, b.ID, c.ID, models.NeedsAsked); err != nil {
				t.Fatal(err)
			}
			if err := s.MarkThreadRead(ctx, b.ID, c.ID, at); err != nil {
				t.Fatal(err)
			}
			if _, flagged, err := s.CustomerAndConversation(ctx, b.ID, c.ID); err != nil || flagged.NeedsHuman != models.NeedsAsked {
				t.Fatalf("flagged: %+v, %v", flagged, err)
			}
			user := seedUser(t, s, b.ID).ID
			if err := s.TakeOver(ctx, b.ID, c.ID, user, at); err != nil {
				t.Fatal(err)
			}
			_, got, err := s.CustomerAndConversation(ctx, b.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.ConversationOrNew(ctx, b.ID, c.ID)
			if err != nil || want.ID == 0 {
				t.Fatalf("saved conversation: %+v, %v", want, err)
			}
			if got.ID != want.ID || got.State != "menu" || got.Data != want.Data || got.Version != want.Version ||
				got.Language != "es" || got.NeedsHuman != want.NeedsHuman || got.TakenOverBy == nil ||
				*got.TakenOverBy != user || got.TakenOverAt == nil || !got.TakenOverAt.Equal(*want.TakenOverAt) ||
				got.ReadAt == nil || !got.ReadAt.Equal(*want.ReadAt) || !got.LastMessageAt.Equal(want.LastMessageAt) ||
				!got.UpdatedAt.Equal(want.UpdatedAt) {
				t.Fatalf("read together: %+v\nalone: %+v", got, want)
			}

			other, _ := seedBusiness(t, s, "2")
			if _, _, err := s.CustomerAndConversation(ctx, other.ID, c.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("another business's customer: %v, want ErrNotFound", err)
			}
		})
	}
}
