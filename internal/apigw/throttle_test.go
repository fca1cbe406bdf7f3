package apigw

import (
	"math"
	"strings"
	"testing"
)

func TestThrottleValidate(t *testing.T) {
	tests := []struct {
		t    Throttle
		want string // "" = valid
	}{
		{Throttle{RateLimit: 0, BurstLimit: 0}, ""},
		{Throttle{RateLimit: 0.5, BurstLimit: MaxInteger}, ""},
		{Throttle{RateLimit: math.NaN()}, "throttle rateLimit NaN: must be a finite number, 0 or more"},
		{Throttle{RateLimit: math.Inf(1)}, "throttle rateLimit +Inf: must be a finite number"},
		{Throttle{RateLimit: -0.1}, "throttle rateLimit -0.1: must be"},
		{Throttle{BurstLimit: -1}, "throttle burstLimit -1: must be between 0 and 2147483647"},
		{Throttle{BurstLimit: MaxInteger + 1}, "throttle burstLimit 2147483648: must be between 0 and 2147483647"},
	}
	for _, tt := range tests {
		err := tt.t.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v.Validate() = %v, want %q", tt.t, err, tt.want)
		}
	}
}
