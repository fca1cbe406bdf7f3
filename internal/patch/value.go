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

// MinInteger and MaxInteger bound AWS's Integer type, a signed 32-bit
// number. The SDKs read a larger value into 32 bits and wrap it
// (2147483648 becomes -2147483648), so Terraform would see drift forever.
const (
	MinInteger = math.MinInt32
	MaxInteger = math.MaxInt32
)

// integerRule is what CheckInteger and ParseInt say a value must be.
const integerRule = "must be an integer between -2147483648 and 2147483647"

// CheckInteger is the one rule for every Integer member of the management
// API, whether a request body sets it (field is its JSON path, e.g.
// "quota.limit") or a patch operation does (through ParseInt, which names
// the patch path): n must fit AWS's Integer. The error is a *ValueError
// naming the field, the value and the rule.
func CheckInteger(field string, n int64) error {
	if n < MinInteger || n > MaxInteger {
		return &ValueError{Path: field, Value: strconv.FormatInt(n, 10), Want: integerRule}
	}
	return nil
}

// ParseInt converts a patch value for path to an integer. It accepts "100",
// "-1" and Terraform's "%f" forms "100.000000" / "-1.000000"; a fractional
// value ("1.5"), a non-number, or a value outside AWS's Integer (the rule
// of CheckInteger) is a *ValueError naming path and value.
func ParseInt(path, v string) (int, error) {
	s := strings.TrimSpace(v)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, &ValueError{Path: path, Value: v, Want: "must be an integer"}
		}
		if f != math.Trunc(f) || f < MinInteger || f > MaxInteger {
			return 0, &ValueError{Path: path, Value: v, Want: integerRule}
		}
		n = int64(f)
	}
	if CheckInteger(path, n) != nil {
		return 0, &ValueError{Path: path, Value: v, Want: integerRule}
	}
	return int(n), nil
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
