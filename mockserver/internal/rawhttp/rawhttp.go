// Package rawhttp is the bare HTTP/1.1 client side the load recipe and the
// loopback benchmarks share: fixed requests written as bytes, responses
// read without net/http's per-response cost.
package rawhttp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ReadResponse reads one HTTP/1.1 response framed by Content-Length from
// br and returns its status, the body discarded: a load generator's minimal
// client, with no allocation per response beyond the status line parse.
func ReadResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(line)
	if len(f) < 2 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, _ := strconv.Atoi(string(f[1]))
	n := -1
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		if k, v, ok := bytes.Cut(h, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
		}
	}
	if n < 0 {
		return 0, errors.New("no Content-Length")
	}
	_, err = br.Discard(n)
	return status, err
}
