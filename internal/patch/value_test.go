package patch

import (
	"errors"
	"testing"
)

func TestParseBool(t *testing.T) {
	tests := map[string]bool{
		"true": true, "TRUE": true, "True": true, " true ": true,
		"false": false, "": false, "yes": false, "1": false, "notabool": false,
	}
	for v, want := range tests {
		if got := ParseBool(v); got != want {
			t.Errorf("ParseBool(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		v       string
		want    int
		wantErr string
	}{
		{v: "100", want: 100},
		{v: "100.000000", want: 100},
		{v: "-1", want: -1},
		{v: "-1.000000", want: -1},
		{v: "0", want: 0},
		{v: " 5 ", want: 5},
		{v: "2147483647", want: 2147483647},
		{v: "1e3", want: 1000},
		{v: "abc", wantErr: `Invalid value "abc" for /quota/limit: must be an integer`},
		{v: "", wantErr: `Invalid value "" for /quota/limit: must be an integer`},
		{v: "1.5", wantErr: `Invalid value "1.5" for /quota/limit: must be an integer between -2147483648 and 2147483647`},
		{v: "2147483648", wantErr: `Invalid value "2147483648" for /quota/limit: must be an integer between -2147483648 and 2147483647`},
		{v: "-2147483648", want: -2147483648},
		{v: "-2147483649", wantErr: `Invalid value "-2147483649" for /quota/limit: must be an integer between -2147483648 and 2147483647`},
		{v: "9223372036854775807", wantErr: `Invalid value "9223372036854775807" for /quota/limit: must be an integer between -2147483648 and 2147483647`},
		{v: "99999999999999999999", wantErr: `Invalid value "99999999999999999999" for /quota/limit: must be an integer between -2147483648 and 2147483647`},
		{v: "2147483648.000000", wantErr: `Invalid value "2147483648.000000" for /quota/limit: must be an integer between -2147483648 and 2147483647`},
		{v: "NaN", wantErr: `Invalid value "NaN" for /quota/limit: must be an integer`},
		{v: "Inf", wantErr: `Invalid value "Inf" for /quota/limit: must be an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			got, err := ParseInt("/quota/limit", tt.v)
			if tt.wantErr != "" {
				var ve *ValueError
				if !errors.As(err, &ve) || err.Error() != tt.wantErr {
					t.Fatalf("ParseInt(%q) = %d, %v; want *ValueError %q", tt.v, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseInt(%q) = %d, %v; want %d", tt.v, got, err, tt.want)
			}
		})
	}
}

// TestCheckInteger is the rule ParseInt and body validation share.
func TestCheckInteger(t *testing.T) {
	tests := []struct {
		n       int64
		wantErr string
	}{
		{n: 0},
		{n: 2147483647},
		{n: -2147483648},
		{n: 2147483648, wantErr: `Invalid value "2147483648" for quota.limit: must be an integer between -2147483648 and 2147483647`},
		{n: -2147483649, wantErr: `Invalid value "-2147483649" for quota.limit: must be an integer between -2147483648 and 2147483647`},
		{n: 1<<63 - 1, wantErr: `Invalid value "9223372036854775807" for quota.limit: must be an integer between -2147483648 and 2147483647`},
	}
	for _, tt := range tests {
		err := CheckInteger("quota.limit", tt.n)
		var ve *ValueError
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("CheckInteger(%d) = %v, want nil", tt.n, err)
		case tt.wantErr != "" && (!errors.As(err, &ve) || err.Error() != tt.wantErr):
			t.Errorf("CheckInteger(%d) = %v, want *ValueError %q", tt.n, err, tt.wantErr)
		}
	}
}

func TestParseFloat(t *testing.T) {
	tests := []struct {
		v       string
		want    float64
		wantErr bool
	}{
		{v: "10", want: 10},
		{v: "10.5", want: 10.5},
		{v: "-1", want: -1},
		{v: "-1.000000", want: -1},
		{v: "2.0", want: 2},
		{v: "abc", wantErr: true},
		{v: "", wantErr: true},
		{v: "NaN", wantErr: true},
		{v: "+Inf", wantErr: true},
		{v: "1e400", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.v, func(t *testing.T) {
			got, err := ParseFloat("/throttle/rateLimit", tt.v)
			if tt.wantErr {
				want := `Invalid value "` + tt.v + `" for /throttle/rateLimit: must be a number`
				var ve *ValueError
				if !errors.As(err, &ve) || err.Error() != want {
					t.Fatalf("ParseFloat(%q) = %v, %v; want *ValueError %q", tt.v, got, err, want)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ParseFloat(%q) = %v, %v; want %v", tt.v, got, err, tt.want)
			}
		})
	}
}
