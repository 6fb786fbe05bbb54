package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A target sending huge headers costs neither memory nor report size: past
// the transport's limit the exchange fails naming the limit; under it the
// evidence keeps a bounded part, with a marker saying what was left out.
func TestHugeResponseHeaders(t *testing.T) {
	tests := []struct {
		name      string
		headers   int // that many X-Filler-N headers...
		size      int // ...of this many bytes each
		opts      Options
		wantErr   string // "" for no error
		wantMarks []string
	}{
		{name: "1 MiB of headers", headers: 1024, size: 1 << 10,
			wantErr: "exceed the harness's limit of 65536 bytes (64 KiB)"},
		{name: "over a lower limit", headers: 8, size: 1 << 10, opts: Options{MaxHeaderBytes: 4 << 10},
			wantErr: "limit of 4096 bytes"},
		{name: "many headers under the limit", headers: 50, size: 1 << 10,
			wantMarks: []string{"more header lines (", "bytes) not shown]"}},
		{name: "one huge header under the limit", headers: 1, size: 40 << 10,
			wantMarks: []string{"X-Filler-0: xxx", " more bytes not shown]", "X-Last: kept"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for i := range tt.headers {
					w.Header().Set(fmt.Sprintf("X-Filler-%d", i), strings.Repeat("x", tt.size))
				}
				w.Header().Set("X-Last", "kept")
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"error":"invalid_request"}`))
			}))
			defer srv.Close()
			tt.opts.BaseURL = srv.URL
			x := newClient(t, tt.opts).Get(context.Background(), "/token")
			ev := x.Evidence()
			if tt.wantErr != "" {
				if !errors.Is(x.Err, ErrHeadersTooLarge) || !strings.Contains(x.Err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrHeadersTooLarge saying %q", x.Err, tt.wantErr)
				}
				if x.Status != 0 || !strings.Contains(ev, tt.wantErr) {
					t.Errorf("the evidence should show the failure:\n%s", ev)
				}
			} else if x.Err != nil {
				t.Fatalf("err = %v", x.Err)
			}
			if len(ev) > 2*maxEvidenceHeaders+maxEvidenceBody {
				t.Errorf("evidence of %d bytes", len(ev))
			}
			for _, m := range tt.wantMarks {
				if !strings.Contains(ev, m) {
					t.Errorf("evidence lacks %q:\n%.3000s", m, ev)
				}
			}
		})
	}
}
