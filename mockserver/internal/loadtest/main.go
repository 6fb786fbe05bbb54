// Command loadtest is the load recipe of the mock (make load): it starts
// `oauthconform serve` for each dialect measured, and a bare net/http
// token endpoint as the ceiling, each in a process of its own, and drives
// them over loopback HTTP/1.1 keep-alive connections with client_credentials
// requests (HTTP Basic), in interleaved rounds so that a drifting machine
// slows all alike. It prints requests per second, each target's share of
// the bare ceiling, the server's CPU time per request (which the client's
// own cost does not blur), and the server's resident memory after each
// round, which stays flat where the store is bounded.
//
//	go run ./mockserver/internal/loadtest -bin bin/oauthconform
//	go run ./mockserver/internal/loadtest -bin bin/oauthconform -startup 20
//
// -startup N instead times N starts of `serve` to its first token: from
// the exec to the token response, the URL read from the banner.
//
// The client is lean on purpose (one goroutine per connection writing a
// prepared request and reading just the status line, the headers and
// Content-Length bytes), as wrk is: a heavy client shares the cores with
// the server and makes every target look alike.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/mockserver/internal/rawhttp"
)

func main() {
	var (
		bin     = flag.String("bin", "bin/oauthconform", "the oauthconform binary (make build)")
		conns   = flag.Int("c", 32, "concurrent keep-alive connections")
		dur     = flag.Duration("d", 5*time.Second, "measured time of each round and target")
		warmup  = flag.Duration("warmup", time.Second, "unmeasured load before each round of each target")
		rounds  = flag.Int("rounds", 3, "rounds, each target once per round")
		targets = flag.String("targets", "bare,merchant-customer,rfc6749", "comma-separated: bare and dialects to serve")
		extra   = flag.String("serve-args", "", "extra arguments for every serve, space-separated (e.g. --max-records 100000)")
		startup = flag.Int("startup", 0, "time N starts of serve to the first token instead of a load test")
		prof    = flag.String("profile", "rfc6749", "the dialect of -startup")
		bare    = flag.String("serve-bare", "", "internal: serve the bare ceiling on this address")
	)
	flag.Parse()
	var err error
	switch {
	case *bare != "":
		err = serveBare(*bare)
	case *startup > 0:
		err = timeStartup(*bin, *prof, strings.Fields(*extra), *startup)
	default:
		err = runLoad(*bin, strings.Split(*targets, ","), strings.Fields(*extra), *conns, *dur, *warmup, *rounds)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// bareBody is the ceiling's fixed answer.
var bareBody = []byte(`{"access_token":"x","token_type":"Bearer","expires_in":3600}`)

// serveBare runs the ceiling: net/http with the mock server's timeouts,
// parsing the form and writing a fixed token response, as
// mockserver's BenchmarkBareHandler does. It prints its token URL as serve's
// banner does.
func serveBare(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("  token          http://%s/oauth/token\n", ln.Addr())
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_ = r.ParseForm()
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			_, _ = w.Write(bareBody)
		}),
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10,
	}
	return srv.Serve(ln)
}

// server is one target's process.
type server struct {
	name     string
	cmd      *exec.Cmd
	started  time.Time // just before the exec
	tokenURL *url.URL
	scope    string
}

// start runs the target's process and waits for its banner's token URL.
func start(bin, target string, extra []string) (*server, error) {
	var cmd *exec.Cmd
	scope := "read"
	if target == "bare" {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command(self, "-serve-bare", "127.0.0.1:0")
	} else {
		args := append([]string{"serve", "--profile", target, "--addr", "127.0.0.1:0", "--log-level", "warn"}, extra...)
		cmd = exec.Command(bin, args...)
		// The scope the mock grants by default in the dialect (read,
		// accounts, merchant): one every dialect's client may ask for. It
		// is this tool's built-in settings' default; settings given in
		// -serve-args with another default need a matching scope.
		set, _, err := mockserver.LoadSettings(target)
		if err != nil {
			return nil, err
		}
		if d := set.Scopes.Default; d != "" {
			scope = d
		}
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s := &server{name: target, cmd: cmd, scope: scope, started: time.Now()}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "token" {
			if s.tokenURL, err = url.Parse(f[1]); err != nil {
				break
			}
			go func() { _, _ = io.Copy(io.Discard, out) }() // the rest of the banner
			return s, nil
		}
	}
	s.stop()
	return nil, fmt.Errorf("%s: no token URL in the banner (%v)", target, errors.Join(err, sc.Err()))
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// request is the raw client_credentials request to s.
func (s *server) request() []byte {
	return rawhttp.ClientCredentials(s.tokenURL.RequestURI(), s.tokenURL.Host, "conf-client", "conf-secret", s.scope)
}

// proc reads a process's CPU time (user+system) and resident memory.
func proc(pid int) (cpu time.Duration, rss int64) {
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		// The fields after the command name, which ends with ')':
		// state is the first, utime and stime the 12th and 13th.
		if i := bytes.LastIndexByte(b, ')'); i > 0 {
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 12 {
				u, _ := strconv.ParseInt(f[11], 10, 64)
				s, _ := strconv.ParseInt(f[12], 10, 64)
				cpu = time.Duration(u+s) * time.Second / 100 // USER_HZ
			}
		}
	}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status"); err == nil {
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				rss = kb << 10
			}
		}
	}
	return cpu, rss
}

// result is one round of one target.
type result struct {
	reqs, errs int64
	elapsed    time.Duration
	cpu        time.Duration // the server's, during the measured time
	rss        int64         // the server's, at the end
}

func (r result) rate() float64 { return float64(r.reqs) / r.elapsed.Seconds() }

// load drives s with conns connections: warmup, then d measured.
func load(s *server, conns int, warmup, d time.Duration) (result, error) {
	req := s.request()
	var (
		counting atomic.Bool
		stop     atomic.Bool
		reqs     atomic.Int64
		errs     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		errOnce  sync.Once
	)
	for range conns {
		wg.Go(func() {
			if err := drive(s.tokenURL.Host, req, &stop, &counting, &reqs, &errs); err != nil {
				errOnce.Do(func() { firstErr = err })
			}
		})
	}
	time.Sleep(warmup)
	cpu0, _ := proc(s.cmd.Process.Pid)
	t0 := time.Now()
	counting.Store(true)
	time.Sleep(d)
	counting.Store(false)
	elapsed := time.Since(t0)
	cpu1, rss := proc(s.cmd.Process.Pid)
	stop.Store(true)
	wg.Wait()
	return result{reqs: reqs.Load(), errs: errs.Load(), elapsed: elapsed, cpu: cpu1 - cpu0, rss: rss}, firstErr
}

// drive sends req over one keep-alive connection until stop, counting
// answers while counting; it reconnects when the server closes.
func drive(addr string, req []byte, stop, counting *atomic.Bool, reqs, errs *atomic.Int64) error {
	for !stop.Load() {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		br := bufio.NewReaderSize(conn, 16<<10)
		for !stop.Load() {
			if _, err = conn.Write(req); err != nil {
				break
			}
			var status int
			if status, err = rawhttp.ReadResponse(br); err != nil {
				break
			}
			if counting.Load() {
				reqs.Add(1)
				if status != http.StatusOK {
					errs.Add(1)
				}
			}
		}
		conn.Close()
		if err != nil && !errors.Is(err, io.EOF) && !stop.Load() {
			return err
		}
	}
	return nil
}

func runLoad(bin string, targets, extra []string, conns int, d, warmup time.Duration, rounds int) error {
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	for _, t := range targets {
		s, err := start(bin, strings.TrimSpace(t), extra)
		if err != nil {
			return err
		}
		servers = append(servers, s)
	}
	fmt.Printf("%d connections, %d rounds of %s (after %s of warm-up) per target, interleaved\n", conns, rounds, d, warmup)
	res := make([][]result, len(servers))
	for round := range rounds {
		for i, s := range servers {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r, err := load(s, conns, warmup, d)
			if err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
			res[i] = append(res[i], r)
			fmt.Printf("  round %d %-18s %8.0f req/s  %6.1f µs server CPU/req  RSS %4d MB  errors %d\n",
				round+1, s.name, r.rate(), float64(r.cpu.Microseconds())/float64(r.reqs), r.rss>>20, r.errs)
		}
	}
	median := func(rs []result, f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	rate := func(r result) float64 { return r.rate() }
	cpu := func(r result) float64 { return float64(r.cpu.Microseconds()) / float64(r.reqs) }
	var ceiling, ceilingCPU float64
	fmt.Println("\nmedian over the rounds")
	fmt.Printf("  %-18s %10s %9s %14s %9s  %s\n", "target", "req/s", "of bare", "server µs/req", "of bare", "RSS per round (MB)")
	for i, s := range servers {
		r, c := median(res[i], rate), median(res[i], cpu)
		if s.name == "bare" {
			ceiling, ceilingCPU = r, c
		}
		var rss []string
		for _, x := range res[i] {
			rss = append(rss, strconv.FormatInt(x.rss>>20, 10))
		}
		share, cpuShare := "", ""
		if ceiling > 0 {
			share = fmt.Sprintf("%.2f", r/ceiling)
			cpuShare = fmt.Sprintf("%.2f", ceilingCPU/c)
		}
		fmt.Printf("  %-18s %10.0f %9s %14.1f %9s  %s\n", s.name, r, share, c, cpuShare, strings.Join(rss, " "))
	}
	return nil
}

// timeStartup starts serve n times and times each to its first token.
func timeStartup(bin, prof string, extra []string, n int) error {
	var times []time.Duration
	for range n {
		s, err := start(bin, prof, extra)
		if err != nil {
			return err
		}
		req := s.request()
		conn, err := net.Dial("tcp", s.tokenURL.Host)
		if err == nil {
			_, err = conn.Write(req)
		}
		var status int
		if err == nil {
			status, err = rawhttp.ReadResponse(bufio.NewReader(conn))
			conn.Close()
		}
		total := time.Since(s.started)
		s.stop()
		if err != nil || status != http.StatusOK {
			return fmt.Errorf("first token: status %d, %v", status, err)
		}
		times = append(times, total)
	}
	slices.Sort(times)
	fmt.Printf("serve --profile %s, start to first token over %d runs: min %s, median %s, max %s\n",
		prof, n, times[0].Round(10*time.Microsecond), times[len(times)/2].Round(10*time.Microsecond), times[len(times)-1].Round(10*time.Microsecond))
	return nil
}
