package main

import (
	"context"
	"io"
	"testing"

	"github.com/oauthconform/oauthconform/mockserver"
)

// BenchmarkServeSetup is what serve does in-process between its flags and
// a listening provider (the dialect and settings loaded, fixtures, fresh
// keys, the listener): the part of start-up that is ours, beside process
// start and package initialisation (loadtest -startup measures the whole).
func BenchmarkServeSetup(b *testing.B) {
	for _, prof := range []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"} {
		b.Run(prof, func(b *testing.B) {
			for b.Loop() {
				o := &serveOptions{profile: prof, addr: "127.0.0.1:0", logLevel: "warn", logFormat: "text"}
				st, err := o.setup(io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				srv, err := mockserver.NewServer(st.cfg, st.opts...)
				if err != nil {
					b.Fatal(err)
				}
				_ = srv.Shutdown(context.Background())
			}
		})
	}
}
