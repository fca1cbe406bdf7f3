package apigw

import (
	"errors"
	"fmt"
	"math"
)

// MaxInteger is the largest value of AWS's Integer type (a 32-bit signed
// integer), which bounds every integer field of AWS's API.
const MaxInteger = math.MaxInt32

// ValidateRateLimit checks a throttle's rate: a finite number of requests
// per second, 0 or more.
func ValidateRateLimit(r float64) error {
	if math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return errors.New("must be a finite number, 0 or more")
	}
	return nil
}

// ValidateBurstLimit checks a throttle's burst: from 0 to MaxInteger.
func ValidateBurstLimit(b int) error {
	if b < 0 || b > MaxInteger {
		return fmt.Errorf("must be between 0 and %d", MaxInteger)
	}
	return nil
}

// Validate checks a throttle: its message names the field, its value and
// the rule.
func (t Throttle) Validate() error {
	if err := ValidateRateLimit(t.RateLimit); err != nil {
		return fmt.Errorf("throttle rateLimit %v: %w", t.RateLimit, err)
	}
	if err := ValidateBurstLimit(t.BurstLimit); err != nil {
		return fmt.Errorf("throttle burstLimit %d: %w", t.BurstLimit, err)
	}
	return nil
}
