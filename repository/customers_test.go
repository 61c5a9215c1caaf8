package repository_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/waorder/waorder/models"
	"github.com/waorder/waorder/repository"
	"github.com/waorder/waorder/testutil"
)

const (
	annPhone = "16505551234"
	annUser  = "US.13491208655302741918"
)

// said is what one webhook carries about its sender: a phone, a BSUID, or both.
func said(b models.Business, p models.PhoneNumber, wamid, phone, userID string, at time.Time) repository.Delivery {
	key := phone
	if key == "" {
		key = userID
	}
	return repository.Delivery{
		Customers: []models.Customer{{BusinessID: b.ID, Phone: phone, UserID: userID, Username: "ann.b", Name: "Ann",
			LastInboundAt: &at}},
		Messages: []repository.InboundRow{{WaID: key, Message: models.InboundMessage{
			BusinessID: b.ID, PhoneNumberID: p.ID, Wamid: wamid, Type: "text", Body: "hi", Payload: `{"w":"` + wamid + `"}`, SentAt: at,
		}}},
	}
}

func store(t *testing.T, s *repository.Store, ds ...repository.Delivery) {
	t.Helper()
	if _, err := s.StoreDeliveries(context.Background(), ds); err != nil {
		t.Fatal(err)
	}
}

func customers(t *testing.T, s *repository.Store, biz int64) []models.Customer {
	t.Helper()
	var out []models.Customer
	if err := s.DB(context.Background()).Where("business_id = ?", biz).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func count(t *testing.T, s *repository.Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.DB(context.Background()).Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// oneCustomer checks that the business has exactly one customer, known by both ids, who owns every message.
func oneCustomer(t *testing.T, s *repository.Store, b models.Business, messages int64) models.Customer {
	t.Helper()
	cs := customers(t, s, b.ID)
	if len(cs) != 1 {
		t.Fatalf("customers = %+v, want one", cs)
	}
	c := cs[0]
	if c.Phone != annPhone || c.UserID != annUser || c.WaID != annPhone || c.Username != "ann.b" {
		t.Fatalf("customer = %+v, want phone %s and user id %s", c, annPhone, annUser)
	}
	if n := count(t, s, "SELECT COUNT(*) FROM inbound_messages WHERE customer_id = ?", c.ID); n != messages {
		t.Fatalf("customer's messages = %d, want %d", n, messages)
	}
	return c
}

func TestCustomers_PhoneThenUserIDOnlyStayOneCustomer(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "1")
			t0 := time.Now().UTC().Add(-time.Hour)
			store(t, s, said(b, p, "wamid.1", annPhone, annUser, t0))
			store(t, s, said(b, p, "wamid.2", "", annUser, t0.Add(time.Minute)))
			c := oneCustomer(t, s, b, 2)
			if d := c.LastInboundAt.Sub(t0.Add(time.Minute)); d < -time.Millisecond || d > time.Millisecond {
				t.Fatalf("window opened at %v, want the BSUID-only message's time", c.LastInboundAt)
			}
		})
	}
}

func TestCustomers_UserIDThenPhoneStayOneCustomer(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "1")
			t0 := time.Now().UTC().Add(-time.Hour)
			store(t, s, said(b, p, "wamid.1", "", annUser, t0))
			if cs := customers(t, s, b.ID); len(cs) != 1 || cs[0].Phone != "" || cs[0].WaID != annUser || cs[0].Recipient() != annUser {
				t.Fatalf("BSUID-only customer = %+v", cs)
			}
			store(t, s, said(b, p, "wamid.2", annPhone, annUser, t0.Add(time.Minute)))
			store(t, s, said(b, p, "wamid.3", annPhone, "", t0.Add(2*time.Minute)))
			if c := oneCustomer(t, s, b, 3); c.Recipient() != annPhone {
				t.Fatalf("recipient = %s, want the phone once known", c.Recipient())
			}
		})
	}
}

func TestCustomers_SplitRowsAreMergedWithTheirHistory(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "1")
			t0 := time.Now().UTC().Add(-time.Hour)
			// Until a webhook names both, the phone and the BSUID look like two people.
			store(t, s, said(b, p, "wamid.1", annPhone, "", t0))
			store(t, s, said(b, p, "wamid.2", "", annUser, t0.Add(time.Minute)))
			cs := customers(t, s, b.ID)
			if len(cs) != 2 {
				t.Fatalf("customers before the link = %d, want 2", len(cs))
			}
			byPhone, byUser := cs[0], cs[1]
			for i, c := range cs {
				conv, err := s.Conversation(ctx, b.ID, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				conv.State, conv.Data = fmt.Sprintf("step%d", i), fmt.Sprintf(`{"n":%d}`, i)
				if err := s.SaveConversation(ctx, conv, t0.Add(time.Duration(i)*time.Minute)); err != nil {
					t.Fatal(err)
				}
				o := models.Order{BusinessID: b.ID, CustomerID: c.ID, Currency: "USD", Source: "chat",
					SourceKey: fmt.Sprintf("k%d", i), Items: []models.OrderItem{{Name: "Tea", Quantity: 1, UnitPriceMinor: 100}}}
				if err := s.CreateOrder(ctx, &o); err != nil {
					t.Fatal(err)
				}
				out := models.OutboundMessage{BusinessID: b.ID, PhoneNumberID: p.ID, CustomerID: c.ID, ToWaID: c.WaID,
					Kind: "text", Payload: `{}`, IdempotencyKey: fmt.Sprintf("o%d", i)}
				if _, err := s.EnqueueOutbound(ctx, &out); err != nil {
					t.Fatal(err)
				}
			}
			store(t, s, said(b, p, "wamid.3", annPhone, annUser, t0.Add(2*time.Minute)))
			c := oneCustomer(t, s, b, 3)
			if c.ID != byPhone.ID {
				t.Fatalf("survivor %d, want the older row %d", c.ID, byPhone.ID)
			}
			for table, want := range map[string]int64{"orders": 2, "outbound_messages": 2, "conversations": 1} {
				if n := count(t, s, "SELECT COUNT(*) FROM "+table+" WHERE customer_id = ?", c.ID); n != want {
					t.Errorf("%s of the merged customer = %d, want %d", table, n, want)
				}
			}
			conv, err := s.Conversation(ctx, b.ID, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if conv.State != "step1" {
				t.Errorf("conversation kept = %q, want the newer one (of %d)", conv.State, byUser.ID)
			}
		})
	}
}

func TestCustomers_NewUserIDForAKnownPhoneIsLinked(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "1")
			t0 := time.Now().UTC().Add(-time.Hour)
			store(t, s, said(b, p, "wamid.1", annPhone, "US.1", t0))
			store(t, s, said(b, p, "wamid.2", annPhone, annUser, t0.Add(time.Minute)))
			oneCustomer(t, s, b, 2)
		})
	}
}

// One commit of many deliveries (as under load): new people are created and known ones updated together, each
// message goes to its own sender, and a known customer's window never moves back to an older message's time.
func TestCustomers_ABatchOfNewAndKnownCustomersGoesEachToItsOwnRow(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "1")
			t0 := time.Now().UTC().Add(-time.Hour)
			for i := range 3 { // known: 351910000000..2, last seen at t0
				store(t, s, said(b, p, fmt.Sprintf("wamid.known.%d", i), fmt.Sprintf("35191000000%d", i), "", t0))
			}
			var batch []repository.Delivery
			for i := range 6 { // the three known ones again and three new ones
				at := t0.Add(time.Minute)
				if i == 1 {
					at = t0.Add(-time.Minute) // a late delivery of an older message
				}
				d := said(b, p, fmt.Sprintf("wamid.batch.%d", i), fmt.Sprintf("35191000000%d", i), "", at)
				d.Customers[0].Name = fmt.Sprintf("Person %d", i)
				batch = append(batch, d)
			}
			store(t, s, batch...)
			cs := customers(t, s, b.ID)
			if len(cs) != 6 {
				t.Fatalf("%d customers, want 6: %+v", len(cs), cs)
			}
			for _, c := range cs {
				i := int(c.Phone[len(c.Phone)-1] - '0')
				if c.Name != fmt.Sprintf("Person %d", i) || c.WaID != c.Phone {
					t.Errorf("customer %s: name %q wa_id %q", c.Phone, c.Name, c.WaID)
				}
				want := t0.Add(time.Minute)
				if i == 1 {
					want = t0 // the older message does not close the window it had
				}
				if c.LastInboundAt == nil || c.LastInboundAt.Sub(want).Abs() > time.Millisecond {
					t.Errorf("customer %s: window opened at %v, want %v", c.Phone, c.LastInboundAt, want)
				}
				if n := count(t, s, "SELECT COUNT(*) FROM inbound_messages WHERE customer_id = ? AND wamid = ?", c.ID,
					fmt.Sprintf("wamid.batch.%d", i)); n != 1 {
					t.Errorf("customer %s owns %d of its batch messages, want 1", c.Phone, n)
				}
			}
		})
	}
}

func TestCustomers_SameIdsInAnotherBusinessAreAnotherCustomer(t *testing.T) {
	s := testutil.SQLite(t)
	b1, p1 := seedBusiness(t, s, "1")
	b2, p2 := seedBusiness(t, s, "2")
	at := time.Now().UTC()
	store(t, s, said(b1, p1, "wamid.1", annPhone, annUser, at), said(b2, p2, "wamid.2", annPhone, annUser, at))
	if len(customers(t, s, b1.ID)) != 1 || len(customers(t, s, b2.ID)) != 1 {
		t.Fatal("each business should have its own customer")
	}
}

func TestCustomers_DatabaseRefusesASecondRowForAPhoneOrUserID(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			b, p := seedBusiness(t, s, "1")
			store(t, s, said(b, p, "wamid.1", annPhone, annUser, time.Now()))
			ins := "INSERT INTO customers (business_id, wa_id, phone, user_id, created_at, updated_at) VALUES (?,?,?,?,?,?)"
			db, now := s.DB(context.Background()), time.Now().UTC()
			if err := db.Exec(ins, b.ID, "x1", annPhone, "", now, now).Error; err == nil {
				t.Error("a second row with the same phone was accepted")
			}
			if err := db.Exec(ins, b.ID, "x2", "", annUser, now, now).Error; err == nil {
				t.Error("a second row with the same BSUID was accepted")
			}
			if err := db.Exec(ins, b.ID, "x3", "", "", now, now).Error; err != nil {
				t.Errorf("rows without phone or BSUID must not collide on the empty value: %v", err)
			}
		})
	}
}

func TestCustomers_ConcurrentWebhooksOfOnePersonMakeOneCustomer(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			for round := range 8 {
				b, p := seedBusiness(t, s, fmt.Sprint(round))
				at := time.Now().UTC()
				// Phone-then-BSUID and BSUID-then-phone users, each with their two webhooks at once.
				pairs := [][2][2]string{{{annPhone, annUser}, {"", annUser}}, {{"", annUser}, {annPhone, annUser}},
					{{annPhone, ""}, {annPhone, annUser}}}[round%3]
				var wg sync.WaitGroup
				errs := make(chan error, 2)
				for i, ids := range pairs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, err := s.StoreDeliveries(context.Background(), []repository.Delivery{
							said(b, p, fmt.Sprintf("wamid.%d.%d", round, i), ids[0], ids[1], at)})
						errs <- err
					}()
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
				oneCustomer(t, s, b, 2)
			}
		})
	}
}

func TestMigrate_SplitCustomersOfAnOlderVersionAreMerged(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			s, exec := storeAtVersion(t, be, 9)
			now := time.Now().UTC()
			exec("INSERT INTO businesses (id, name, created_at, updated_at) VALUES (1, 'Cafe', ?, ?)", now, now)
			exec("INSERT INTO phone_numbers (id, business_id, phone_number_id, created_at, updated_at) VALUES (1, 1, 'p', ?, ?)", now, now)
			// As the old version stored them: one row keyed by the phone (with the BSUID), one keyed by the BSUID.
			exec("INSERT INTO customers (id, business_id, wa_id, user_id, name, last_inbound_at, created_at, updated_at) VALUES (1, 1, ?, ?, 'Ann', ?, ?, ?)",
				annPhone, annUser, now.Add(-time.Hour), now, now)
			exec("INSERT INTO customers (id, business_id, wa_id, user_id, name, last_inbound_at, created_at, updated_at) VALUES (2, 1, ?, ?, '', ?, ?, ?)",
				annUser, annUser, now, now, now)
			exec("INSERT INTO customers (id, business_id, wa_id, user_id, created_at, updated_at) VALUES (3, 1, '15550009', '', ?, ?)", now, now)
			exec("INSERT INTO customers (id, business_id, wa_id, user_id, created_at, updated_at) VALUES (4, 1, 'BR.77', 'BR.77', ?, ?)", now, now)
			for id := 1; id <= 2; id++ {
				exec("INSERT INTO inbound_messages (business_id, phone_number_id, customer_id, wamid, type, payload, sent_at, received_at) VALUES (1, 1, ?, ?, 'text', '{}', ?, ?)",
					id, fmt.Sprint("w", id), now, now)
				exec("INSERT INTO outbound_messages (business_id, phone_number_id, customer_id, to_wa_id, kind, payload, idempotency_key, next_attempt_at, created_at, updated_at) VALUES (1, 1, ?, 'x', 'text', '{}', ?, ?, ?, ?)",
					id, fmt.Sprint("o", id), now, now, now)
				exec("INSERT INTO orders (business_id, number, customer_id, status, total_minor, currency, source_key, created_at, updated_at) VALUES (1, ?, ?, 'pending', 100, 'USD', ?, ?, ?)",
					id, id, fmt.Sprint("s", id), now, now)
				exec("INSERT INTO conversations (business_id, customer_id, state, data, last_message_at, updated_at) VALUES (1, ?, ?, '{}', ?, ?)",
					id, fmt.Sprint("state", id), now.Add(time.Duration(id)*time.Minute), now)
			}
			if _, err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			cs := customers(t, s, 1)
			if len(cs) != 3 {
				t.Fatalf("customers after the migration = %+v, want 3", cs)
			}
			ann := cs[0]
			if ann.ID != 1 || ann.Phone != annPhone || ann.UserID != annUser || ann.WaID != annPhone || ann.Name != "Ann" ||
				ann.LastInboundAt == nil || now.Sub(*ann.LastInboundAt) > time.Second {
				t.Fatalf("merged customer = %+v", ann)
			}
			if cs[1].Phone != "15550009" || cs[2].Phone != "" || cs[2].UserID != "BR.77" {
				t.Fatalf("untouched customers = %+v", cs[1:])
			}
			for table, want := range map[string]int64{"orders": 2, "outbound_messages": 2, "inbound_messages": 2, "conversations": 1} {
				if n := count(t, s, "SELECT COUNT(*) FROM "+table+" WHERE customer_id = 1"); n != want {
					t.Errorf("%s of the merged customer = %d, want %d", table, n, want)
				}
			}
			if n := count(t, s, "SELECT COUNT(*) FROM conversations WHERE customer_id = 1 AND state = 'state2'"); n != 1 {
				t.Error("the newer conversation was not the one kept")
			}
		})
	}
}

func TestCustomers_RowWrittenWithItsContactKeyAloneIsFoundAndCompleted(t *testing.T) {
	s := testutil.SQLite(t)
	b, p := seedBusiness(t, s, "1")
	now := time.Now().UTC()
	legacy := models.Customer{BusinessID: b.ID, WaID: annPhone, Name: "Ann", CreatedAt: now, UpdatedAt: now}
	if err := s.DB(context.Background()).Create(&legacy).Error; err != nil {
		t.Fatal(err)
	}
	store(t, s, said(b, p, "wamid.1", "", annUser, now), said(b, p, "wamid.2", annPhone, annUser, now))
	if c := oneCustomer(t, s, b, 2); c.ID != legacy.ID {
		t.Fatalf("customer %d, want the existing row %d", c.ID, legacy.ID)
	}
}

func TestListOrders_FindsACustomerByUsernamePhoneOrBSUID(t *testing.T) {
	for _, be := range testutil.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			s := be.Open(t)
			ctx := context.Background()
			b, p := seedBusiness(t, s, "1")
			store(t, s, said(b, p, "wamid.1", "", annUser, time.Now()))
			c := customers(t, s, b.ID)[0]
			o := models.Order{BusinessID: b.ID, CustomerID: c.ID, Currency: "USD", Source: "chat", SourceKey: "k",
				Items: []models.OrderItem{{Name: "Tea", Quantity: 1, UnitPriceMinor: 100}}}
			if err := s.CreateOrder(ctx, &o); err != nil {
				t.Fatal(err)
			}
			for q, want := range map[string]int{"@ann.b": 1, "ANN.B": 1, "ann": 1, "us.1349": 1, "@bob": 0, "1650": 0} {
				got, total, err := s.ListOrders(ctx, b.ID, models.OrderFilter{Query: q, PageSize: 20})
				if err != nil || total != int64(want) || len(got) != want {
					t.Errorf("search %q: %d orders (total %d), %v; want %d", q, len(got), total, err, want)
				}
			}
		})
	}
}
