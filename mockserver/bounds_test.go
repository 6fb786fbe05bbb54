package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// Bounds on what the mock keeps (issue 9): the store's record cap, the
// pending authorization requests, parameter counts, and the login form's
// brute-force throttle.

// serveLocal runs r through p from a remote address, in process.
func serveLocal(p http.Handler, r *http.Request, remote string) *httptest.ResponseRecorder {
	if remote != "" {
		r.RemoteAddr = remote
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, r)
	return w
}

func formRequest(target, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func bTokenRequest(body string) *http.Request {
	r := formRequest("/token", body)
	r.Header.Set("Authorization", basicHeader("conf-client", "conf-secret"))
	return r
}

func bErrorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("%d: not JSON: %s", w.Code, w.Body)
	}
	s, _ := m["error"].(string)
	return s
}

// heapInUse is the heap after a full collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func TestMemoryStoreCapEvictsOldest(t *testing.T) {
	ctx := context.Background()
	s := NewBoundedMemoryStore(100)
	exp := time.Now().Add(time.Hour)
	for i := range 1000 {
		if err := s.SaveToken(ctx, "t"+strconv.Itoa(i), &Token{Kind: KindAccess, ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
		if _, n, _ := s.Len(); n > 100 {
			t.Fatalf("after %d saves %d records", i+1, n)
		}
	}
	if _, err := s.Token(ctx, "t999"); err != nil {
		t.Fatalf("newest record: %v", err)
	}
	if _, err := s.Token(ctx, "t0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("oldest record: %v, want ErrNotFound", err)
	}
	if s.Evicted() < 900 {
		t.Fatalf("evicted %d", s.Evicted())
	}
	// A record saved again is young again.
	s = NewBoundedMemoryStore(4)
	_ = s.SaveGrant(ctx, &Grant{ID: "keep", ExpiresAt: exp})
	for i := range 10 {
		_ = s.SaveToken(ctx, strconv.Itoa(i), &Token{ExpiresAt: exp})
		_ = s.SaveGrant(ctx, &Grant{ID: "keep", Scope: "s" + strconv.Itoa(i), ExpiresAt: exp})
	}
	if g, err := s.Grant(ctx, "keep"); err != nil || g.Scope != "s9" {
		t.Fatalf("re-saved grant: %+v %v", g, err)
	}
}

func TestMemoryStoreKeepsRevokedJTIs(t *testing.T) {
	ctx := context.Background()
	s := NewBoundedMemoryStore(10)
	exp := time.Now().Add(time.Hour)
	for i := range 5 {
		if err := s.RevokeJTI(ctx, "j"+strconv.Itoa(i), exp); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		if err := s.SaveToken(ctx, strconv.Itoa(i), &Token{ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if ok, _ := s.JTIRevoked(ctx, "j"+strconv.Itoa(i)); !ok {
			t.Fatalf("revoked jti j%d evicted", i)
		}
	}
	// Revoked ids push other records out, never each other.
	for i := 5; i < 10; i++ {
		if err := s.RevokeJTI(ctx, "j"+strconv.Itoa(i), exp); err != nil {
			t.Fatal(err)
		}
	}
	if c, tk, g := s.Len(); c+tk+g != 0 {
		t.Fatalf("%d records beside 10 revoked ids in a store of 10", c+tk+g)
	}
	if err := s.RevokeJTI(ctx, "j10", exp); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("revoke past the cap: %v", err)
	}
	if err := s.SaveToken(ctx, "x", &Token{ExpiresAt: exp}); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("save into a store full of revoked ids: %v", err)
	}
	if n := s.Sweep(ctx, exp.Add(time.Second)); n != 10 {
		t.Fatalf("swept %d", n)
	}
	if err := s.SaveToken(ctx, "x", &Token{ExpiresAt: exp}); err != nil {
		t.Fatalf("after the sweep: %v", err)
	}
}

// The store copies the strings it keeps: a scope that is a substring of a
// request body must not keep the body alive.
func TestMemoryStoreCopiesStrings(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryStore()
	body := "scope=read&" + strings.Repeat("x", 60<<10)
	scope := body[6:10]
	exp := time.Now().Add(time.Hour)
	_ = s.SaveToken(ctx, "t", &Token{Kind: KindAccess, ClientID: body[:5], Scope: scope, ExpiresAt: exp})
	_ = s.SaveGrant(ctx, &Grant{ID: "g", Scope: scope, Nonce: body[11:20], ExpiresAt: exp})
	_ = s.SaveCode(ctx, "c", &Code{RedirectURI: body[11:30], CodeChallenge: body[11:54], ExpiresAt: exp})
	inBody := func(v string) bool {
		p, b := uintptr(unsafe.Pointer(unsafe.StringData(v))), uintptr(unsafe.Pointer(unsafe.StringData(body)))
		return v != "" && p >= b && p < b+uintptr(len(body))
	}
	tok, _ := s.Token(ctx, "t")
	g, _ := s.Grant(ctx, "g")
	c, _, _ := s.RedeemCode(ctx, "c")
	for _, v := range []string{tok.Scope, tok.ClientID, g.Scope, g.Nonce, c.RedirectURI, c.CodeChallenge} {
		if inBody(v) {
			t.Fatalf("%q is kept as a substring of the body", v)
		}
	}
	if tok.Scope != "read" || g.Nonce != "xxxxxxxxx" {
		t.Fatalf("values %q %q", tok.Scope, g.Nonce)
	}
}

func TestMemoryStoreSweepGivesMemoryBack(t *testing.T) {
	ctx := context.Background()
	s := NewBoundedMemoryStore(0)
	now := time.Now()
	for i := range 3 * shrinkFloor {
		_ = s.SaveToken(ctx, strconv.Itoa(i), &Token{ExpiresAt: now.Add(time.Duration(i%3) * time.Hour)})
	}
	s.Sweep(ctx, now.Add(90*time.Minute))
	if _, n, _ := s.Len(); n != shrinkFloor {
		t.Fatalf("%d tokens left", n)
	}
	if s.young.size != 3*shrinkFloor {
		t.Fatalf("size %d", s.young.size) // 2/3 expired: not yet rebuilt
	}
	s.Sweep(ctx, now.Add(3*time.Hour))
	if _, n, _ := s.Len(); n != 0 || s.young.size != 0 {
		t.Fatalf("%d tokens left, maps sized for %d", n, s.young.size)
	}
	// Times survive the compact form exactly, the zero time included.
	at := time.Date(2031, 5, 6, 7, 8, 9, 123456789, time.UTC)
	_ = s.SaveGrant(ctx, &Grant{ID: "g", ExpiresAt: at, AuthTime: at.Add(-time.Hour)})
	_ = s.SaveToken(ctx, "z", &Token{ExpiresAt: at})
	g, _ := s.Grant(ctx, "g")
	tok, _ := s.Token(ctx, "z")
	if !g.ExpiresAt.Equal(at) || !g.AuthTime.Equal(at.Add(-time.Hour)) || !tok.IssuedAt.IsZero() || !tok.ExpiresAt.Equal(at) {
		t.Fatalf("times %v %v %v %v", g.ExpiresAt, g.AuthTime, tok.IssuedAt, tok.ExpiresAt)
	}
}

// The provider's store is capped: a flood of tokens keeps the newest, and
// an evicted token is refused like an unknown one.
func TestProviderStoreCapped(t *testing.T) {
	set, d := MustLoadSettings("merchant-customer")
	p, err := New(Config{Dialect: d, Settings: set, MaxRecords: 300})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var first, last map[string]any
	for i := range 1000 {
		w := serveLocal(p, bTokenRequestAt("/oauth/token", "grant_type=client_credentials"), "")
		if w.Code != http.StatusOK {
			t.Fatalf("token %d: %d %s", i, w.Code, w.Body)
		}
		last = nil
		_ = json.Unmarshal(w.Body.Bytes(), &last)
		if i == 0 {
			first = last
		}
	}
	c, tk, g := p.Store().(*MemoryStore).Len()
	if c+tk+g > 300 {
		t.Fatalf("%d records in a store of 300", c+tk+g)
	}
	introspect := func(tok any) bool {
		w := serveLocal(p, bTokenRequestAt("/oauth/introspect", "token="+url.QueryEscape(tok.(string))), "")
		return strings.Contains(w.Body.String(), `"active":true`)
	}
	if !introspect(last["access_token"]) || introspect(first["access_token"]) {
		t.Fatal("want the newest token active and the first one evicted")
	}
	w := serveLocal(p, bTokenRequestAt("/oauth/token", "grant_type=refresh_token&refresh_token="+url.QueryEscape(first["refresh_token"].(string))), "")
	if w.Code != http.StatusBadRequest || bErrorCode(t, w) != errInvalidGrant {
		t.Fatalf("evicted refresh token: %d %s", w.Code, w.Body)
	}
}

// A JWT of a grant family is known by its record too: evicted, it is
// refused like an unknown token, not taken for a stateless one (its jti's
// mark, hasRecord). Stateless client_credentials tokens have no record to
// lose.
func TestEvictedFamilyJWTRefused(t *testing.T) {
	for _, prof := range []string{"rfc6749", "oauth20-intents"} {
		t.Run(prof, func(t *testing.T) {
			e := newEP(t, prof, WithStore(NewBoundedMemoryStore(300)))
			const pw = "grant_type=password&username=alice&password=alice-password"
			var first, last string
			for i := range 400 {
				last = mustToken(t, e.ts, tokenReq{body: pw, basic: conf}).str("access_token")
				if i == 0 {
					first = last
				}
			}
			cc := mustToken(t, e.ts, tokenReq{body: ccBody, basic: conf}).str("access_token")
			if !e.active(t, last) || !e.active(t, cc) {
				t.Fatal("want the newest grant's token and a stateless one active")
			}
			if e.active(t, first) || e.resource(t, first).status != http.StatusUnauthorized {
				t.Fatal("the evicted grant's token is still accepted")
			}
		})
	}
}

func bTokenRequestAt(target, body string) *http.Request {
	r := formRequest(target, body)
	r.Header.Set("Authorization", basicHeader("conf-client", "conf-secret"))
	return r
}

// A store full of revoked JWT ids answers 503 temporarily_unavailable, as
// JSON, at the token and revocation endpoints: never a 500.
func TestProviderStoreFull(t *testing.T) {
	set, d := MustLoadSettings("rfc6749")
	p, err := New(Config{Dialect: d, Settings: set, MaxRecords: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	revoke := func() *httptest.ResponseRecorder {
		w := serveLocal(p, bTokenRequest("grant_type=client_credentials&scope=read"), "")
		var m map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &m)
		at, _ := m["access_token"].(string)
		return serveLocal(p, bTokenRequestAt("/revoke", "token="+url.QueryEscape(at)), "")
	}
	for i := range 3 {
		if w := revoke(); w.Code != http.StatusOK {
			t.Fatalf("revocation %d: %d %s", i, w.Code, w.Body)
		}
	}
	w := revoke()
	if w.Code != http.StatusServiceUnavailable || bErrorCode(t, w) != errTemporarilyUnavailable {
		t.Fatalf("revocation into a full store: %d %s", w.Code, w.Body)
	}
	w = serveLocal(p, bTokenRequest("grant_type=password&username=alice&password=alice-password&scope=read"), "")
	if w.Code != http.StatusServiceUnavailable || bErrorCode(t, w) != errTemporarilyUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("password grant into a full store: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

// ---------------------------------------------------------------------------
// Pending authorization requests.

const boundsCodeQuery = "response_type=code&client_id=conf-client&redirect_uri=" + "http%3A%2F%2F127.0.0.1%3A8765%2Fcallback" + "&scope=read"

func TestAuthorizeStateTooLong(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	get := func(q string) *httptest.ResponseRecorder {
		return serveLocal(p, httptest.NewRequest(http.MethodGet, "/authorize?"+q, nil), "")
	}
	if w := get(boundsCodeQuery + "&state=" + strings.Repeat("s", maxStateLen)); w.Code != http.StatusOK {
		t.Fatalf("state of %d bytes: %d", maxStateLen, w.Code)
	}
	long := strings.Repeat("s", maxStateLen+1)
	w := get(boundsCodeQuery + "&state=" + long)
	loc, _ := url.Parse(w.Header().Get("Location"))
	if w.Code != http.StatusFound || loc == nil || loc.Query().Get("error") != errInvalidRequest || loc.Query().Get("state") != long {
		t.Fatalf("long state: %d %q", w.Code, w.Header().Get("Location"))
	}
	// Not at a redirect URI that is not the client's: an error page.
	w = get("response_type=code&client_id=conf-client&redirect_uri=https%3A%2F%2Fattacker.example%2Fcb&state=" + long)
	if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" {
		t.Fatalf("long state, foreign redirect URI: %d %q", w.Code, w.Header().Get("Location"))
	}
	w = get(boundsCodeQuery + "&scope=" + strings.Repeat("read+", maxScopeLen/5+1))
	if loc, _ := url.Parse(w.Header().Get("Location")); w.Code != http.StatusFound || loc.Query().Get("error") != errInvalidRequest {
		t.Fatalf("long scope: %d %q", w.Code, w.Header().Get("Location"))
	}
	if n := p.pending.len(); n != 1 {
		t.Fatalf("%d pending requests kept", n)
	}
}

// A pending request keeps copies of its values, not the request's query: a
// flood of long queries costs its entries, not the queries.
func TestAuthorizePendingKeepsNoQuery(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	pad := "&x=" + strings.Repeat("p", 28<<10) // an unknown parameter, ignored
	before := heapInUse()
	const n = 2000
	for i := range n {
		q := boundsCodeQuery + "&state=" + strings.Repeat("s", 1000) + strconv.Itoa(i) + pad
		remote := "10.1." + strconv.Itoa(i/200) + "." + strconv.Itoa(i%200) + ":4000" // within the shares
		if w := serveLocal(p, httptest.NewRequest(http.MethodGet, "/authorize?"+q, nil), remote); w.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i, w.Code)
		}
	}
	grew := int64(heapInUse()) - int64(before)
	t.Logf("%d pending requests of 29 KB queries: the heap grew %.1f MB", n, float64(grew)/(1<<20))
	if p.pending.len() != n {
		t.Fatalf("%d pending", p.pending.len())
	}
	// The queries alone are 57 MB; the entries about 3 MB.
	if grew > 16<<20 {
		t.Fatalf("the heap grew %d MB for %d pending requests", grew>>20, n)
	}
	if bytes, _ := p.pending.usage(); bytes > n*2048 {
		t.Fatalf("pending requests account %d bytes", bytes)
	}
	runtime.KeepAlive(p)
}

// A flood of authorization requests, from one source or many, never evicts
// a login already in progress.
func TestAuthorizePendingFlood(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	loginPage := func(remote string) azPage {
		w := serveLocal(p, httptest.NewRequest(http.MethodGet, "/authorize?"+boundsCodeQuery+"&state=real", nil), remote)
		if w.Code != http.StatusOK {
			t.Fatalf("login page: %d", w.Code)
		}
		return azParsePage(t, w.Body.String())
	}
	approve := func(pg azPage, remote string) *httptest.ResponseRecorder {
		form := url.Values{"pending_request": {pg.inputs["pending_request"]}, "csrf_token": {pg.inputs["csrf_token"]},
			"username": {"alice"}, "password": {"alice-password"}, "action": {"approve"}}
		return serveLocal(p, formRequest("/authorize", form.Encode()), remote)
	}
	other := loginPage("192.0.2.7:5000")      // another source
	sameSource := loginPage("192.0.2.9:5000") // the flood's own source
	for i := range maxPending + 200 {
		q := boundsCodeQuery + "&state=flood" + strconv.Itoa(i)
		if w := serveLocal(p, httptest.NewRequest(http.MethodGet, "/authorize?"+q, nil), "192.0.2.9:6000"); w.Code != http.StatusOK {
			t.Fatalf("flood request %d: %d", i, w.Code)
		}
	}
	if n := p.pending.len(); n > maxPending/pendingShares+1 {
		t.Fatalf("one source holds %d pending requests", n)
	}
	fresh := loginPage("198.51.100.1:5000") // a newcomer during the flood
	for name, pg := range map[string]azPage{"other source": other, "same source": sameSource, "newcomer": fresh} {
		if w := approve(pg, ""); w.Code != http.StatusSeeOther || !strings.Contains(w.Header().Get("Location"), "code=") {
			t.Fatalf("%s: login lost to the flood: %d %s", name, w.Code, w.Header().Get("Location"))
		}
	}
}

func TestPendingStoreBounds(t *testing.T) {
	var s pendingStore
	now := time.Now()
	src := func(i int) netip.Prefix {
		return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 32)
	}
	inProgress := &pendingAuthz{id: "real", expires: now.Add(pendingLifetime), source: src(0)}
	s.put(now, inProgress)
	// Many sources, each within its share, fill the whole store.
	for i := range 3 * maxPending {
		s.put(now, &pendingAuthz{id: randomToken(), state: strings.Repeat("s", 300), expires: now.Add(pendingLifetime), source: src(1 + i%200)})
	}
	bytes, evicted := s.usage()
	if n := s.len(); n > maxPending || bytes > maxPendingBytes || evicted == 0 {
		t.Fatalf("%d entries, %d bytes, %d evicted", n, bytes, evicted)
	}
	if _, found, _ := s.lookup(now, "real", ""); !found {
		t.Fatal("the oldest entry was evicted")
	}
	// Long values count: the byte budget binds before the count.
	var b pendingStore
	for i := range maxPending {
		b.put(now, &pendingAuthz{id: randomToken(), state: strings.Repeat("s", maxStateLen), scope: strings.Repeat("x", maxScopeLen),
			expires: now.Add(pendingLifetime), source: src(i % 100)})
	}
	if bytes, _ := b.usage(); bytes > maxPendingBytes || b.len() >= maxPending {
		t.Fatalf("%d entries of %d bytes", b.len(), bytes)
	}
	// Expired entries go with the sweep.
	s.sweep(now.Add(pendingLifetime + time.Second))
	if bytes, _ := s.usage(); s.len() != 0 || bytes != 0 || len(s.sources) != 0 {
		t.Fatalf("after the sweep: %d entries, %d bytes, %d sources", s.len(), bytes, len(s.sources))
	}
}

// ---------------------------------------------------------------------------
// Parameter counts.

func manyParams(n int) string {
	var b strings.Builder
	b.WriteString("grant_type=client_credentials")
	for i := range n - 1 {
		b.WriteString("&p")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("=v")
	}
	return b.String()
}

func manyParamsJSON(n int) string {
	var b strings.Builder
	b.WriteString(`{"grant_type":"client_credentials"`)
	for i := range n - 1 {
		b.WriteString(`,"p` + strconv.Itoa(i) + `":"v"`)
	}
	return b.String() + "}"
}

func TestTooManyParams(t *testing.T) {
	set, d := MustLoadSettings("merchant-customer") // form and JSON bodies
	p, err := New(Config{Dialect: d, Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, tc := range []struct {
		name, ct string
		body     func(int) string
	}{{"form", "application/x-www-form-urlencoded", manyParams}, {"json", "application/json", manyParamsJSON}} {
		for _, n := range []int{maxParams, maxParams + 1, 11645} {
			r := bTokenRequestAt("/oauth/token", tc.body(n))
			r.Header.Set("Content-Type", tc.ct)
			w := serveLocal(p, r, "")
			switch {
			case n <= maxParams && w.Code != http.StatusOK:
				t.Errorf("%s, %d parameters: %d %s", tc.name, n, w.Code, w.Body)
			case n > maxParams && (w.Code != http.StatusBadRequest || bErrorCode(t, w) != errInvalidRequest):
				t.Errorf("%s, %d parameters: %d %s", tc.name, n, w.Code, w.Body)
			}
		}
	}
	// The authorize endpoint: an error page before the client is known.
	q := boundsCodeQuery + strings.Repeat("&x=1", maxParams)
	rp, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer rp.Close()
	w := serveLocal(rp, httptest.NewRequest(http.MethodGet, "/authorize?"+q, nil), "")
	if w.Code != http.StatusBadRequest || w.Header().Get("Location") != "" || !strings.Contains(w.Body.String(), "more than 100 parameters") {
		t.Fatalf("authorize with %d parameters: %d %s", maxParams+5, w.Code, w.Body)
	}
}

// ---------------------------------------------------------------------------
// The login form's brute-force protection.

func TestLoginFormBruteForce(t *testing.T) {
	ts := NewTestServer(t, "rfc6749")
	attempt := func(password string) azResult {
		return azSubmit(t, ts, azLoginPage(t, ts, azCodeReq()), "alice", password, "approve", nil)
	}
	for i := range failureLimit {
		if res := attempt("wrong-" + strconv.Itoa(i)); res.status != http.StatusOK || !strings.Contains(res.body, descLoginFailed) {
			t.Fatalf("wrong password %d: %d", i, res.status)
		}
	}
	res := attempt("alice-password")
	if res.status != http.StatusTooManyRequests || res.loc != "" || res.header.Get("Retry-After") == "" ||
		!strings.Contains(azParsePage(t, res.body).text, "Too many failed sign-in attempts") {
		t.Fatalf("right password during the lockout: %d Location=%q Retry-After=%q", res.status, res.loc, res.header.Get("Retry-After"))
	}
	// One budget with the password grant.
	pw := doToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=alice-password", basic: conf})
	wantError(t, pw, http.StatusBadRequest, errInvalidGrant)
	if pw.header.Get("Retry-After") == "" {
		t.Fatal("password grant not locked by the form's failures")
	}
	ts.Clock.Advance(lockoutFor + time.Second)
	azWantOK(t, attempt("alice-password"), http.StatusSeeOther, azR1, azNasty)

	// And the other way round: the password grant's failures lock the form.
	for range failureLimit {
		doToken(t, ts, tokenReq{body: "grant_type=password&username=alice&password=wrong", basic: conf})
	}
	if res := attempt("alice-password"); res.status != http.StatusTooManyRequests {
		t.Fatalf("form after the password grant's lockout: %d", res.status)
	}
	ts.Clock.Advance(lockoutFor + time.Second)
	azWantOK(t, attempt("alice-password"), http.StatusSeeOther, azR1, azNasty)
}

func TestLoginFormBruteForceQuirk(t *testing.T) {
	ts := NewTestServer(t, "rfc6749", WithQuirks("no-brute-force-protection"))
	for i := range 2 * failureLimit {
		azSubmit(t, ts, azLoginPage(t, ts, azCodeReq()), "alice", "wrong-"+strconv.Itoa(i), "approve", nil)
	}
	azWantOK(t, azFlow(t, ts, azCodeReq(), "approve"), http.StatusSeeOther, azR1, azNasty)
}
