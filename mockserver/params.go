package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/oauthconform/oauthconform/profile"
)

// maxBodyBytes caps request bodies; OAuth requests are small.
const maxBodyBytes = 64 << 10

// maxParams bounds the parameters (pairs, repeats included) of one request:
// OAuth requests carry a handful, and a body of thousands is only work. More
// is invalid_request.
const maxParams = 100

// indexFrom is the count past which params index names in a map: token
// requests carry a handful, where a linear scan beats a map and allocates
// nothing, but scanning for every name of a long request is quadratic.
const indexFrom = 8

// params holds request parameters in order.
type params struct {
	kv []kv
	// idx maps a name to its position in kv once there are more than
	// indexFrom.
	idx map[string]int
}

// reset empties p for reuse (paramsPool), dropping the values so that a
// pooled params keeps no request's memory alive.
func (p *params) reset() {
	clear(p.kv)
	p.kv = p.kv[:0]
	clear(p.idx)
}

// index returns the position of k in kv, or -1.
func (p *params) index(k string) int {
	if len(p.kv) > indexFrom {
		if i, ok := p.idx[k]; ok {
			return i
		}
		return -1
	}
	for i := range p.kv {
		if p.kv[i].k == k {
			return i
		}
	}
	return -1
}

// kv is one parameter; omitted marks an empty value, kept only so that a
// repetition of the name is still detected.
type kv struct {
	k, v    string
	omitted bool
}

// get returns the value of k; "" when absent. Empty values are dropped at
// parse time (RFC 6749 §3.2: "treated as if they were omitted").
func (p *params) get(k string) string {
	if i := p.index(k); i >= 0 {
		return p.kv[i].v
	}
	return ""
}

func (p *params) has(k string) bool {
	if i := p.index(k); i >= 0 {
		return !p.kv[i].omitted
	}
	return false
}

// add appends a parameter; repeated reports that the name was there
// already.
func (p *params) add(k, v string, keepEmpty bool) (repeated bool) {
	omitted := v == "" && !keepEmpty
	if i := p.index(k); i >= 0 {
		if !omitted {
			// Last wins, for the duplicate-params quirk.
			p.kv[i].v, p.kv[i].omitted = v, false
		}
		return true
	}
	p.kv = append(p.kv, kv{k: k, v: v, omitted: omitted})
	switch n := len(p.kv); {
	case n == indexFrom+1:
		if p.idx == nil {
			p.idx = make(map[string]int, 2*indexFrom)
		}
		for i := range p.kv {
			p.idx[p.kv[i].k] = i
		}
	case n > indexFrom+1:
		p.idx[k] = n - 1
	}
	return false
}

var (
	errBadEncoding    = newError(errInvalidRequest, "The request body must be application/x-www-form-urlencoded.")
	errBadJSON        = newError(errInvalidRequest, "The request body is not a JSON object of string members.")
	errBadForm        = newError(errInvalidRequest, "The request body is not valid form encoding.")
	errBodyTooLarge   = newError(errInvalidRequest, "The request body is too large.")
	errBodyUnreadable = newError(errInvalidRequest, "The request body could not be read.")
	errRepeatedParam  = newError(errInvalidRequest, "A request parameter was repeated (RFC 6749 Section 3.2).")
	errTooManyParams  = newError(errInvalidRequest, "The request has more than 100 parameters.")
)

// parseTokenParams reads the token request body according to its declared
// media type and the settings' accepted encodings, with the token
// endpoint's encoding quirks.
func (p *Provider) parseTokenParams(r *http.Request, into *params) *oauthError {
	return p.readParams(r, into, true)
}

// parseEndpointParams reads a revocation or introspection request body the
// same way, without the token endpoint's quirks (so they break one rule).
func (p *Provider) parseEndpointParams(r *http.Request, into *params) *oauthError {
	return p.readParams(r, into, false)
}

// readParams decodes a form or (where the settings accept it) JSON body of
// at most maxBodyBytes; repeated parameters are invalid_request.
func (p *Provider) readParams(r *http.Request, into *params, tokenQuirks bool) *oauthError {
	mt := r.Header.Get("Content-Type")
	// The two media types as clients send them, without parameters, are
	// what mime.ParseMediaType would return them as; it costs a map.
	if mt != "application/x-www-form-urlencoded" && mt != "application/json" {
		var (
			mparams map[string]string
			err     error
		)
		if mt, mparams, err = mime.ParseMediaType(mt); err != nil {
			return p.badEncoding()
		}
		if _, hasCharset := mparams["charset"]; hasCharset && tokenQuirks && p.rules.token.charsetRefused {
			return errBadEncoding
		}
		if cs, ok := mparams["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			return newError(errInvalidRequest, "Only UTF-8 request bodies are accepted.")
		}
	}
	bp := bodyBufPool.Get().(*[]byte)
	defer putBodyBuf(bp)
	body, oerr := readBody(r.Body, (*bp)[:0])
	*bp = body
	if oerr != nil {
		return oerr
	}
	switch {
	case mt == "application/x-www-form-urlencoded" && p.settings.HasEncoding(profile.EncodingForm):
		oerr = parseForm(body, into, tokenQuirks && p.rules.token.emptyScopeIsValue)
	case mt == "application/json" && p.settings.HasEncoding(profile.EncodingJSON) && !(tokenQuirks && p.rules.token.jsonBodyRefused):
		oerr = parseJSONObject(body, into)
	default:
		return p.badEncoding()
	}
	if oerr == errRepeatedParam && tokenQuirks && p.rules.token.repeatedParams {
		return nil
	}
	return oerr
}

// bodyBufPool holds the buffers request bodies are read into: the parsers
// copy what they keep (parseForm converts the body to a string, the JSON
// decoder makes its own), so a buffer is free again once they return.
var bodyBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// putBodyBuf returns a buffer to bodyBufPool, unless a large body grew it:
// the pool should not keep 64 KiB per processor for the odd big request.
func putBodyBuf(bp *[]byte) {
	if cap(*bp) <= 8<<10 {
		*bp = (*bp)[:0]
		bodyBufPool.Put(bp)
	}
}

// readBody appends body to buf, up to maxBodyBytes (errBodyTooLarge
// beyond), as io.ReadAll of an http.MaxBytesReader did, without their
// allocations.
func readBody(body io.Reader, buf []byte) ([]byte, *oauthError) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // let append pick the growth
		}
		n, err := body.Read(buf[len(buf):min(cap(buf), maxBodyBytes+1)])
		buf = buf[:len(buf)+n]
		if len(buf) > maxBodyBytes {
			return buf, errBodyTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				return buf, errBodyTooLarge // a limit of the caller's
			}
			return buf, errBodyUnreadable
		}
	}
}

func (p *Provider) badEncoding() *oauthError {
	if p.settings.HasEncoding(profile.EncodingJSON) {
		return newError(errInvalidRequest, "The request body must be application/x-www-form-urlencoded or application/json.")
	}
	return errBadEncoding
}

// parseForm decodes an application/x-www-form-urlencoded body, detecting
// repeated names (empty values count: "scope=&scope=x" repeats scope),
// of at most maxParams pairs.
func parseForm(body []byte, into *params, keepEmptyScope bool) *oauthError {
	var repeated bool
	s := string(body)
	for n := 0; s != ""; {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if n++; n > maxParams {
			return errTooManyParams
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := formUnescape(k)
		v, err2 := formUnescape(v)
		if err1 != nil || err2 != nil || k == "" {
			return errBadForm
		}
		if into.add(k, v, keepEmptyScope && k == "scope") {
			repeated = true
		}
	}
	if repeated {
		return errRepeatedParam
	}
	return nil
}

// formUnescape avoids an allocation for the common unescaped case.
func formUnescape(s string) (string, error) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, nil
	}
	return url.QueryUnescape(s)
}

// parseJSONObject decodes a flat JSON object of string members, detecting
// repeated member names, of at most maxParams members.
func parseJSONObject(body []byte, into *params) *oauthError {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errBadJSON
	}
	var repeated bool
	for n := 1; dec.More(); n++ {
		if n > maxParams {
			return errTooManyParams
		}
		kt, err := dec.Token()
		if err != nil {
			return errBadJSON
		}
		k, _ := kt.(string)
		vt, err := dec.Token()
		if err != nil {
			return errBadJSON
		}
		var v string
		switch x := vt.(type) {
		case string:
			v = x
		case nil:
			// null is treated as omitted, like an empty form value.
		default:
			return errBadJSON
		}
		if k == "" {
			return errBadJSON
		}
		if into.add(k, v, false) {
			repeated = true
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return errBadJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		return errBadJSON
	}
	if repeated {
		return errRepeatedParam
	}
	return nil
}
