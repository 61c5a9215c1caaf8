package cache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type product struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Price int64    `json:"price"`
	Tags  []string `json:"tags"`
}

func TestJSON_RoundTripAndUndecodableIsAMiss(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		want := product{ID: 7, Name: "Pizza", Price: 1250, Tags: []string{"hot"}}
		SetJSON(ctx, c, p+"p", want, time.Minute)
		got, ok := GetJSON[product](ctx, c, p+"p")
		if !ok || got.Name != want.Name || got.Price != want.Price || len(got.Tags) != 1 {
			t.Fatalf("GetJSON = %+v, %v", got, ok)
		}
		c.Set(ctx, p+"bad", []byte("{not json"), time.Minute)
		if got, ok := GetJSON[product](ctx, c, p+"bad"); ok || got.ID != 0 {
			t.Fatalf("undecodable value: %+v, %v; want zero miss", got, ok)
		}
		SetJSON(ctx, c, p+"chan", make(chan int), time.Minute) // not encodable: not cached, no panic
		if _, ok := c.Get(ctx, p+"chan"); ok {
			t.Fatal("unencodable value cached")
		}
	})
}

func TestRemember_ConcurrentMissesShareOneLoad(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		key := p + "catalog"
		const callers = 20
		var loads atomic.Int32
		release := make(chan struct{})
		load := func(context.Context) ([]product, error) {
			loads.Add(1)
			<-release
			return []product{{ID: 1, Name: "Tea"}}, nil
		}
		var wg sync.WaitGroup
		results := make([][]product, callers)
		for i := range callers {
			wg.Go(func() {
				v, err := Remember(ctx, c, key, time.Minute, load)
				if err != nil {
					t.Error(err)
				}
				results[i] = v
			})
		}
		eventually(t, 2*time.Second, "all callers waiting on one load", func() bool {
			return flights.waiting(key) == callers-1
		})
		close(release)
		wg.Wait()
		if n := loads.Load(); n != 1 {
			t.Fatalf("load called %d times; want 1", n)
		}
		for i, r := range results {
			if len(r) != 1 || r[0].Name != "Tea" {
				t.Fatalf("caller %d got %+v", i, r)
			}
		}
		results[0][0].Name = "changed" // each caller owns its copy
		if results[1][0].Name != "Tea" {
			t.Fatal("callers share one value")
		}
		if _, err := Remember(ctx, c, key, time.Minute, load); err != nil || loads.Load() != 1 {
			t.Fatalf("second Remember loaded again (%d loads, %v)", loads.Load(), err)
		}
	})
}

func TestRemember_LoadErrorsAreReturnedAndNotCached(t *testing.T) {
	forEachImpl(t, func(t *testing.T, c Cache, p string) {
		ctx := context.Background()
		errDB := errors.New("database down")
		var loads int
		load := func(context.Context) (int, error) {
			loads++
			if loads == 1 {
				return 0, errDB
			}
			return 42, nil
		}
		if _, err := Remember(ctx, c, p+"n", time.Minute, load); !errors.Is(err, errDB) {
			t.Fatalf("err = %v; want the load error", err)
		}
		for range 2 {
			if v, err := Remember(ctx, c, p+"n", time.Minute, load); err != nil || v != 42 {
				t.Fatalf("Remember = %d, %v; want 42", v, err)
			}
		}
		if loads != 2 {
			t.Fatalf("load called %d times; want 2 (the error was cached, or the value was not)", loads)
		}
	})
}

func TestRemember_WaiterLoadsItselfWhenTheLeadersContextEnds(t *testing.T) {
	c := NewMemory(100)
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	started := make(chan struct{})
	leaderDone := make(chan error)
	go func() {
		_, err := Remember(leaderCtx, c, "k", time.Minute, func(ctx context.Context) (string, error) {
			close(started)
			<-ctx.Done()
			return "", ctx.Err()
		})
		leaderDone <- err
	}()
	<-started
	waiterDone := make(chan string)
	go func() {
		v, err := Remember(context.Background(), c, "k", time.Minute, func(context.Context) (string, error) {
			return "fresh", nil
		})
		if err != nil {
			t.Error(err)
		}
		waiterDone <- v
	}()
	eventually(t, time.Second, "waiter joined", func() bool { return flights.waiting("k") == 1 })
	cancelLeader()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader err = %v", err)
	}
	if v := <-waiterDone; v != "fresh" {
		t.Fatalf("waiter got %q; want its own load", v)
	}
}
