// Package suggest finds the known word nearest a misspelt one, for error
// messages ("did you mean ...?").
package suggest

import "strings"

// Nearest returns the word of known closest to word, ignoring case, if it
// is close enough to be a likely typo (at most 2 edits, 1 for words under
// 4 characters, and fewer than half its length); "" otherwise.
func Nearest(word string, known []string) string {
	limit := 2
	if len([]rune(word)) < 4 {
		limit = 1
	}
	lw := strings.ToLower(word)
	best, bestD := "", limit+1
	for _, k := range known {
		if d := Distance(lw, strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || 2*bestD >= len([]rune(word)) {
		return ""
	}
	return best
}

// Distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters ("secert" is one edit from "secret").
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
