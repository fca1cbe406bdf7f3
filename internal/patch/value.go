package patch

import (
	"math"
	"strconv"
	"strings"
)

// ParseBool converts a patch value to a boolean the way AWS does for flags
// such as /enabled: "true" in any letter case is true, anything else
// (including "", "yes", "1") is false. It never fails.
func ParseBool(v string) bool {
	return strings.EqualFold(strings.TrimSpace(v), "true")
}

// ParseInt converts a patch value for path to an integer. It accepts "100",
// "-1" and Terraform's "%f" forms "100.000000" / "-1.000000"; a fractional
// value ("1.5"), a non-number, or a value outside the 32-bit range AWS's
// Integer members hold is a *ValueError naming path and value.
func ParseInt(path, v string) (int, error) {
	s := strings.TrimSpace(v)
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return int(n), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, &ValueError{Path: path, Value: v, Want: "must be an integer"}
	}
	if f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, &ValueError{Path: path, Value: v, Want: "must be an integer between -2147483648 and 2147483647"}
	}
	return int(f), nil
}

// ParseFloat converts a patch value for path to a number: "10", "10.5", "-1",
// "1e3". NaN, infinities and non-numbers are a *ValueError naming path and
// value ("must be a number").
func ParseFloat(path, v string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, &ValueError{Path: path, Value: v, Want: "must be a number"}
	}
	return f, nil
}
