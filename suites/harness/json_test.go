package harness

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeJSONObject(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]any
		dupKey  string // expected *DuplicateKeyError key
		dupPath string
		errSub  string // expected other error
	}{
		{name: "token response", in: `{"access_token":"a","expires_in":3600,"token_type":"bearer"}`,
			want: map[string]any{"access_token": "a", "expires_in": json.Number("3600"), "token_type": "bearer"}},
		{name: "numbers keep their spelling", in: `{"a":3600,"b":"3600","c":3600.5,"d":3600.0,"e":-1,"f":1e3}`,
			want: map[string]any{"a": json.Number("3600"), "b": "3600", "c": json.Number("3600.5"), "d": json.Number("3600.0"), "e": json.Number("-1"), "f": json.Number("1e3")}},
		{name: "nested values", in: ` {"o":{"x":[1,"y",null,true,{}],"e":[]}} ` + "\n",
			want: map[string]any{"o": map[string]any{"x": []any{json.Number("1"), "y", nil, true, map[string]any{}}, "e": []any{}}}},
		{name: "duplicate at top", in: `{"access_token":"a","token_type":"bearer","access_token":"b"}`,
			want: map[string]any{"access_token": "b", "token_type": "bearer"}, dupKey: "access_token", dupPath: "$"},
		{name: "duplicate nested in array", in: `{"a":[{"k":1},{"k":1,"k":2}]}`,
			want: map[string]any{"a": []any{map[string]any{"k": json.Number("1")}, map[string]any{"k": json.Number("2")}}}, dupKey: "k", dupPath: "$.a[1]"},
		{name: "same key in sibling objects is fine", in: `{"a":{"k":1},"b":{"k":1}}`,
			want: map[string]any{"a": map[string]any{"k": json.Number("1")}, "b": map[string]any{"k": json.Number("1")}}},
		{name: "empty", in: ``, errSub: "empty"},
		{name: "array", in: `[{"a":1}]`, errSub: "not an object"},
		{name: "string", in: `"x"`, errSub: "not an object"},
		{name: "garbage", in: `<html>`, errSub: "not JSON"},
		{name: "truncated", in: `{"a":"b"`, errSub: "not JSON"},
		{name: "bad member", in: `{"a" 1}`, errSub: "not JSON"},
		{name: "two objects", in: `{}{}`, errSub: "more than one"},
		{name: "trailing garbage", in: `{} x`, errSub: "more than one"},
		{name: "too deep", in: `{"a":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, errSub: "deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeJSONObject([]byte(tt.in))
			var dup *DuplicateKeyError
			switch {
			case tt.errSub != "":
				if err == nil || !strings.Contains(err.Error(), tt.errSub) || got != nil {
					t.Fatalf("got %v, %v; want error containing %q", got, err, tt.errSub)
				}
				return
			case tt.dupKey != "":
				if !errors.As(err, &dup) || dup.Key != tt.dupKey || dup.Path != tt.dupPath {
					t.Fatalf("err = %v, want duplicate %q at %s", err, tt.dupKey, tt.dupPath)
				}
			case err != nil:
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}
