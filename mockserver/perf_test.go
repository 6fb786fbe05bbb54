package mockserver

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// Tests of the pieces made faster for issue 9 item 10: each keeps the
// behaviour of what it replaced.

// checkJSONString fails unless appendJSONString wrote s as a JSON string
// that decodes to s (each invalid UTF-8 byte as U+FFFD), with <, > and &
// escaped as encoding/json escapes them.
func checkJSONString(t *testing.T, s string) {
	t.Helper()
	out := appendJSONString([]byte("x"), s)
	if out[0] != 'x' {
		t.Fatalf("%q: the prefix was overwritten", s)
	}
	out = out[1:]
	var got string
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%q: %s does not decode: %v", s, out, err)
	}
	var want strings.Builder
	for _, r := range s { // an invalid byte ranges as one RuneError
		want.WriteRune(r)
	}
	if got != want.String() {
		t.Fatalf("%q: decodes to %q", s, got)
	}
	if bytes.ContainsAny(out, "<>&") || !utf8.Valid(out) {
		t.Fatalf("%q: written as %s", s, out)
	}
	for _, c := range out {
		if c < 0x20 {
			t.Fatalf("%q: a raw control byte in %s", s, out)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rcr\x00\x1f\x7f",
		"é ü 日本 😀", "bad \xff\xfe utf-8 \xc3", "\xe2\x80\xa8 line separator", strings.Repeat("eyJhbGciOiJFUzI1NiJ9.", 30),
	} {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a<b>&\"\\\n\xff日")
	f.Fuzz(checkJSONString)
}

// grantRef keeps only ids that re-encode to themselves.
func TestGrantRef(t *testing.T) {
	for range 100 {
		id := randomToken()
		ref, ok := grantRef(id)
		if !ok || base64.RawURLEncoding.EncodeToString(ref[:]) != id {
			t.Fatalf("%q: %v", id, ok)
		}
	}
	good := randomToken()
	// The last of 43 characters carries 2 spare bits: set ("B"), the id
	// would re-encode otherwise.
	odd := strings.Repeat("A", 42) + "B"
	for _, id := range []string{"", "g", strings.Repeat("A", 42), strings.Repeat("A", 44), good[:42] + "\n", good[:42] + "=", good[:42] + "+", odd} {
		if ref, ok := grantRef(id); ok && base64.RawURLEncoding.EncodeToString(ref[:]) != id {
			t.Fatalf("%q taken for a grant ref that re-encodes otherwise", id)
		}
	}
}

// A token whose grant id is of another form keeps it as it was.
func TestMemoryStoreGrantIDForms(t *testing.T) {
	ctx := t.Context()
	s := NewMemoryStore()
	for i, gid := range []string{"", "g", randomToken(), strings.Repeat("A", 42) + "B", "not base64 at all, but 43 characters long!!"} {
		key := "t" + strconv.Itoa(i)
		if err := s.SaveToken(ctx, key, &Token{Kind: KindAccess, GrantID: gid, ClientID: "c"}); err != nil {
			t.Fatal(err)
		}
		tok, err := s.Token(ctx, key)
		if err != nil || tok.GrantID != gid || tok.ClientID != "c" {
			t.Fatalf("%q: %+v, %v", gid, tok, err)
		}
	}
}

// Random values never repeat and are whole, also across refills of the
// read-ahead buffer.
func TestRandomBytes(t *testing.T) {
	seen := map[string]bool{}
	for range 200 { // more than a buffer's worth
		tok := randomToken()
		if len(tok) != 43 || seen[tok] {
			t.Fatalf("token %q (repeated: %v)", tok, seen[tok])
		}
		seen[tok] = true
	}
	var b [1024]byte
	randomBytes(b[:])
	if bytes.Count(b[:], []byte{0}) > 64 {
		t.Fatal("a kilobyte of mostly zeros")
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// readBody reads what io.ReadAll of an http.MaxBytesReader did.
func TestReadBody(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 5000, maxBodyBytes} {
		body := strings.Repeat("x", n)
		got, oerr := readBody(strings.NewReader(body), nil)
		if oerr != nil || string(got) != body {
			t.Fatalf("%d bytes: %d read, %v", n, len(got), oerr)
		}
	}
	if _, oerr := readBody(strings.NewReader(strings.Repeat("x", maxBodyBytes+1)), nil); oerr != errBodyTooLarge {
		t.Fatalf("one byte too many: %v", oerr)
	}
	if _, oerr := readBody(errReader{errors.New("reset")}, nil); oerr != errBodyUnreadable {
		t.Fatalf("a failing body: %v", oerr)
	}
	mbr := http.MaxBytesReader(nil, io.NopCloser(strings.NewReader("xxxx")), 2)
	if _, oerr := readBody(mbr, nil); oerr != errBodyTooLarge {
		t.Fatalf("a caller's limit: %v", oerr)
	}
}

func TestContentLength(t *testing.T) {
	for _, n := range []int{0, 7, 123, 4095, 4096, 100000} {
		v := contentLength(n)
		if len(v) != 1 || v[0] != strconv.Itoa(n) {
			t.Fatalf("%d: %q", n, v)
		}
		if w := contentLength(n); n < 4096 && &w[0] != &v[0] {
			t.Fatalf("%d: not shared", n)
		}
	}
}
