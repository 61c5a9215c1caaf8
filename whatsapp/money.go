package whatsapp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money in this package is an int64 count of the currency's minor units (cents for USD, yen for JPY, fils for
// KWD) with an ISO 4217 code beside it. Prices arrive from Meta as decimal JSON numbers ("item_price": 25.5); they
// are converted from their decimal text, never through float64, so 0.1 is exactly 10 cents.

// Errors returned by MinorUnits; test with errors.Is.
var (
	ErrInvalidAmount  = errors.New("whatsapp: not a decimal amount")
	ErrNegativeAmount = errors.New("whatsapp: negative amount")
	ErrAmountOverflow = errors.New("whatsapp: amount out of range")
)

// currencyExponents lists the ISO 4217 currencies whose minor unit is not 1/100. Everything else, including
// unknown codes, has two decimals. IDR is 2 in ISO 4217 even though rupiah cents are not used in practice.
var currencyExponents = map[string]int{
	// No minor unit.
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// Thousandths.
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// Ten-thousandths (units of account).
	"CLF": 4, "UYW": 4,
}

// CurrencyExponent is the number of decimals of the ISO 4217 currency code (case-insensitive): 0 for JPY, 3 for
// KWD, 2 for USD and for any code it does not know.
func CurrencyExponent(code string) int {
	if e, ok := currencyExponents[strings.ToUpper(strings.TrimSpace(code))]; ok {
		return e
	}
	return 2
}

// maxDecimalDigits bounds the significant digits MinorUnits looks at; int64 holds 18 full decimal digits.
const maxDecimalDigits = 19

// MinorUnits converts a non-negative decimal amount in major units ("25.5", "30", "0.125", "1e2", as JSON numbers or
// strings carry it) to integer minor units of currency: MinorUnits("25.5", "USD") = 2550, ("300", "JPY") = 300,
// ("1.5", "KWD") = 1500.
//
// The text is parsed exactly. When it has more decimals than the currency allows, the result is rounded half away
// from zero (for the non-negative amounts accepted here: half up), so ("0.125", "USD") = 13 and ("0.5", "JPY") = 1.
// Surrounding spaces and a leading "+" are accepted; a sign "-", empty text, anything but digits with at most one
// "." and an optional exponent, and results beyond int64 are errors.
func MinorUnits(decimal, currency string) (int64, error) {
	s := strings.TrimSpace(decimal)
	s = strings.TrimPrefix(s, "+")
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%w: %q", ErrNegativeAmount, decimal)
	}
	mantissa, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mantissa = s[:i]
		e, err := strconv.Atoi(s[i+1:])
		// Bounding the exponent keeps the arithmetic below in range; real prices never come near it.
		if err != nil || e > 1000 || e < -1000 {
			return 0, fmt.Errorf("%w: %q", ErrInvalidAmount, decimal)
		}
		exp = e
	}
	intPart, fracPart, _ := strings.Cut(mantissa, ".")
	if (intPart == "" && fracPart == "") || !allDigits(intPart) || !allDigits(fracPart) {
		return 0, fmt.Errorf("%w: %q", ErrInvalidAmount, decimal)
	}
	// value = digits × 10^(shift) minor units.
	digits := strings.TrimLeft(intPart+fracPart, "0")
	shift := CurrencyExponent(currency) + exp - len(fracPart)
	if digits == "" {
		return 0, nil
	}
	if shift < 0 {
		// Drop -shift digits, rounding on the first dropped one.
		keep := len(digits) + shift
		if keep < 0 {
			return 0, nil // below half of one minor unit
		}
		roundUp := keep < len(digits) && digits[keep] >= '5'
		digits = digits[:keep]
		n, err := parseDigits(digits, decimal)
		if err != nil {
			return 0, err
		}
		if roundUp {
			if n == 1<<63-1 {
				return 0, fmt.Errorf("%w: %q", ErrAmountOverflow, decimal)
			}
			n++
		}
		return n, nil
	}
	if len(digits)+shift > maxDecimalDigits {
		return 0, fmt.Errorf("%w: %q", ErrAmountOverflow, decimal)
	}
	return parseDigits(digits+strings.Repeat("0", shift), decimal)
}

func parseDigits(digits, original string) (int64, error) {
	if digits == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrAmountOverflow, original)
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatMoney renders minor units as "<CODE> <major>.<minor>" with exactly the currency's decimals:
// FormatMoney(2550, "USD") = "USD 25.50", (300, "JPY") = "JPY 300", (1500, "KWD") = "KWD 1.500". Without a code it
// is the number alone.
func FormatMoney(minor int64, currency string) string {
	code := strings.ToUpper(strings.TrimSpace(currency))
	exp := CurrencyExponent(code)
	// Work on the magnitude as uint64 so that math.MinInt64 formats too.
	mag := uint64(minor)
	sign := ""
	if minor < 0 {
		mag = -mag
		sign = "-"
	}
	num := strconv.FormatUint(mag, 10)
	if exp > 0 {
		if len(num) <= exp {
			num = strings.Repeat("0", exp-len(num)+1) + num
		}
		num = num[:len(num)-exp] + "." + num[len(num)-exp:]
	}
	if code == "" {
		return sign + num
	}
	return code + " " + sign + num
}
