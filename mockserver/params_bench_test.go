package mockserver

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// paramNames returns n distinct short parameter names.
func paramNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.FormatInt(int64(i), 36)
	}
	return out
}

// BenchmarkParamsIndex adds n distinct parameters and reads each back: the
// cost per parameter (ns/param) stays flat from 1k to 10k parameters with
// the index, where a linear scan made it grow tenfold.
func BenchmarkParamsIndex(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		names := paramNames(n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var ps params
				for _, k := range names {
					ps.add(k, "v", false)
				}
				for _, k := range names {
					_ = ps.get(k)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/param")
		})
	}
}

// BenchmarkTokenManyParams sends the token endpoint of merchant-customer
// (form and JSON bodies) a 64 KiB body of 11,645 parameters (the request of
// issue 9), one of 5,001 JSON members, and a normal one for comparison. Past
// maxParams they are refused with invalid_request, which costs reading the
// body.
func BenchmarkTokenManyParams(b *testing.B) {
	names := paramNames(11644)
	form := "grant_type=client_credentials&" + strings.Join(names, "&")
	var js strings.Builder
	js.WriteString(`{"grant_type":"client_credentials"`)
	for _, k := range names[:5000] { // as many as fit in 64 KiB
		js.WriteString(`,"` + k + `":"v"`)
	}
	js.WriteString("}")
	for _, tc := range []struct{ name, ct, body string }{
		{"form-normal", "application/x-www-form-urlencoded", "grant_type=client_credentials"},
		{"form-11645", "application/x-www-form-urlencoded", form},
		{"json-5001", "application/json", js.String()},
	} {
		if len(tc.body) > maxBodyBytes {
			b.Fatalf("%s: body of %d bytes", tc.name, len(tc.body))
		}
		b.Run(tc.name, func(b *testing.B) {
			p, _ := benchRequest(b, "merchant-customer")
			auth := basicHeader("conf-client", "conf-secret")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(tc.body))
				r.Header.Set("Content-Type", tc.ct)
				r.Header.Set("Authorization", auth)
				clear(w.h)
				w.status = 0
				p.ServeHTTP(w, r) // 200, or 400 invalid_request for too many parameters
			}
		})
	}
}
