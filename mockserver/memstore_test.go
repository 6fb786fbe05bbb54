package mockserver

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestMemoryStoreSweepAndAtomicity(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	now := time.Now()
	_ = s.SaveGrant(ctx, &Grant{ID: "g", ExpiresAt: now.Add(time.Hour)})
	_ = s.SaveCode(ctx, "old", &Code{GrantID: "g", ExpiresAt: now.Add(-time.Second)})
	_ = s.SaveCode(ctx, "new", &Code{GrantID: "g", ExpiresAt: now.Add(time.Minute)})
	_ = s.SaveToken(ctx, "rt", &Token{Kind: KindRefresh, GrantID: "g", ExpiresAt: now.Add(time.Hour)})
	_ = s.SaveToken(ctx, "at", &Token{Kind: KindAccess, ExpiresAt: now.Add(-time.Minute)})
	if n := s.Sweep(ctx, now); n != 2 {
		t.Fatalf("swept %d, want 2", n)
	}
	if c, tk, g := s.Len(); c != 1 || tk != 1 || g != 1 {
		t.Fatalf("left %d codes, %d tokens, %d grants", c, tk, g)
	}

	// Exactly one of many concurrent redemptions is the first.
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, first, err := s.RedeemCode(ctx, "new"); err == nil && first {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firsts != 1 {
		t.Fatalf("%d first redemptions", firsts)
	}
	ok1, _ := s.RetireToken(ctx, "rt")
	ok2, _ := s.RetireToken(ctx, "rt")
	if !ok1 || ok2 {
		t.Fatalf("retire: %v then %v", ok1, ok2)
	}
	// Returned records are copies.
	g, _ := s.Grant(ctx, "g")
	g.Revoked = true
	if g2, _ := s.Grant(ctx, "g"); g2.Revoked {
		t.Fatal("store record changed through a returned copy")
	}
	if _, err := s.Token(ctx, "nope"); err != ErrNotFound {
		t.Fatalf("err %v", err)
	}
}

func TestStoreMemoryBoundedUnderLoad(t *testing.T) {
	ts := NewTestServer(t, "merchant-customer") // opaque tokens: every token is stored
	for range 200 {
		mustToken(t, ts, tokenReq{body: ccBody, basic: conf})
	}
	st := ts.Store().(*MemoryStore)
	if _, tokens, _ := st.Len(); tokens < 400 {
		t.Fatalf("%d tokens stored", tokens)
	}
	ts.Clock.Advance(25 * time.Hour)
	st.Sweep(context.Background(), ts.Clock.Now())
	if c, tokens, g := st.Len(); c+tokens+g != 0 {
		t.Fatalf("after expiry: %d codes, %d tokens, %d grants", c, tokens, g)
	}
}
