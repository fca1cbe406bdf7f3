package gateway

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "new\nline\ttab\r", "\x00\x01\x1f\x7f", "ünï©ødé", "bad\xffutf8\xc3", "</script>"} {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encoded as %s: not JSON: %v", s, b, err)
		}
		want := string([]rune(s)) // invalid bytes become U+FFFD, as encoding/json would
		if got != want {
			t.Fatalf("%q round-trips as %q", s, got)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"b\\c\n")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		b := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encoded as %s: %v", s, b, err)
		}
		if got != string([]rune(s)) {
			t.Fatalf("%q round-trips as %q", s, got)
		}
	})
}

func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{
		time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2026, 6, 1, 0, 0, 0, 1, time.FixedZone("X", 5*3600+1800)),
		time.Date(10000, 1, 1, 0, 0, 0, 10, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	for range 10000 {
		times = append(times, time.Unix(rng.Int64N(1<<35), rng.Int64N(1e9)))
	}
	for _, tm := range times {
		if got, want := string(appendTime(nil, tm)), tm.UTC().Format(time.RFC3339Nano); got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestAppendMillisMatchesAppendFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := []int64{0, 1, 10, 100, 999, 1000, 1001, 1500, 42, 123456789, -1, -1500}
	for range 10000 {
		cases = append(cases, rng.Int64N(1e9))
	}
	for _, us := range cases {
		if got, want := string(appendMillis(nil, us)), string(strconv.AppendFloat(nil, float64(us)/1000, 'f', -1, 64)); got != want {
			t.Fatalf("appendMillis(%d) = %s, want %s", us, got, want)
		}
	}
}
