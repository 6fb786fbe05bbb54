package steps

import (
	"math"
	"strings"

	"github.com/oauthconform/oauthconform/suites/harness"
)

// Sample is one successful token response of some grant.
type Sample struct {
	What string
	Ex   *harness.Exchange
}

// EntropyBits estimates how many bits of randomness a token of this shape
// can hold, from the token alone. The token is read in the smallest common
// alphabet holding it (digits, hex, base32, base64url, printable): when it
// uses about as many distinct characters as random draws from that alphabet
// would, it is credited the alphabet's entropy per character (25 random
// base32 characters: 125 bits), since one short sample's Shannon entropy
// underestimates a random token's; otherwise (a repetitive or counter-like
// token) its Shannon entropy with the Miller–Madow correction. It cannot
// prove randomness, only flag its absence.
func EntropyBits(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]float64{}
	n := 0.0
	for _, r := range s {
		counts[r]++
		n++
	}
	h := 0.0
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	k := alphabetSize(s)
	// As many distinct characters as n random draws from the alphabet
	// give (within four standard deviations): take the alphabet's entropy.
	q1, q2 := math.Pow(1-1/k, n), math.Pow(1-2/k, n)
	expect := k * (1 - q1)
	sd := math.Sqrt(math.Max(0, k*(k-1)*q2+k*q1-k*k*q1*q1))
	if float64(len(counts)) >= expect-4*sd {
		return math.Log2(k) * n
	}
	h += float64(len(counts)-1) / (2 * n * math.Ln2)
	return math.Min(h, math.Log2(k)) * n
}

// alphabetSize is the size of the smallest of the usual token alphabets
// that holds every character of s.
func alphabetSize(s string) float64 {
	in := func(set string) bool {
		for _, r := range s {
			if !strings.ContainsRune(set, r) {
				return false
			}
		}
		return true
	}
	const digits = "0123456789"
	switch {
	case in(digits):
		return 10
	case in(digits+"abcdef") || in(digits+"ABCDEF"):
		return 16
	case in("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") || in("abcdefghijklmnopqrstuvwxyz234567="):
		return 32
	case in(digits+"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_=.") || in(digits+"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/="):
		return 64
	}
	return 95
}
