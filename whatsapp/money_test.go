package whatsapp

import (
	"errors"
	"testing"
)

func TestCurrencyExponent(t *testing.T) {
	for code, want := range map[string]int{
		"USD": 2, "EUR": 2, "ILS": 2, "INR": 2, "IDR": 2, "BRL": 2, "JPY": 0, "jpy": 0, " KRW ": 0, "VND": 0, "CLP": 0,
		"ISK": 0, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3, "IQD": 3, "LYD": 3, "CLF": 4, "XYZ": 2, "": 2,
	} {
		eq(t, code, CurrencyExponent(code), want)
	}
}

func TestMinorUnits(t *testing.T) {
	tests := []struct {
		decimal, currency string
		want              int64
	}{
		{"25.5", "USD", 2550},
		{"30", "USD", 3000},
		{"0.1", "USD", 10},
		{"0.2", "USD", 20},
		{"0.3", "USD", 30}, // 0.1+0.2 in float64 is 0.30000000000000004; here it is exact
		{"1.10", "USD", 110},
		{"19.99", "EUR", 1999},
		{"0.07", "USD", 7},
		{"0", "USD", 0},
		{"0.00", "USD", 0},
		{"300", "JPY", 300},
		{"300.0", "JPY", 300},
		{"1.5", "KWD", 1500},
		{"12.345", "KWD", 12345},
		{"0.001", "BHD", 1},
		{"1", "CLF", 10000},
		{"25.5", "", 2550},
		{"25.5", "usd", 2550},
		{" 25.5 ", "USD", 2550},
		{"+1", "USD", 100},
		{".5", "USD", 50},
		{"5.", "USD", 500},
		{"007.50", "USD", 750},
		{"2.55e1", "USD", 2550},
		{"1E2", "JPY", 100},
		{"2550e-2", "USD", 2550},
		{"92233720368547758.07", "USD", 9223372036854775807},
		// Rounding: more decimals than the currency has → half away from zero.
		{"0.125", "USD", 13},
		{"0.124", "USD", 12},
		{"0.005", "USD", 1},
		{"0.0049999", "USD", 0},
		{"0.5", "JPY", 1},
		{"0.49", "JPY", 0},
		{"1.0005", "KWD", 1001},
		{"0.00001", "USD", 0},
		{"1e-400", "USD", 0},
		{"2.675", "USD", 268}, // float64 2.675 is 2.67499999…; exact decimal rounds up
	}
	for _, tt := range tests {
		got, err := MinorUnits(tt.decimal, tt.currency)
		if err != nil || got != tt.want {
			t.Errorf("MinorUnits(%q, %q) = %d, %v; want %d", tt.decimal, tt.currency, got, err, tt.want)
		}
	}
}

func TestMinorUnits_Rejects(t *testing.T) {
	tests := map[string]error{
		"-1": ErrNegativeAmount, "-0.5": ErrNegativeAmount, "": ErrInvalidAmount, " ": ErrInvalidAmount,
		"abc": ErrInvalidAmount, "1.2.3": ErrInvalidAmount, "1,50": ErrInvalidAmount, "$5": ErrInvalidAmount,
		".": ErrInvalidAmount, "e5": ErrInvalidAmount, "1e": ErrInvalidAmount, "1e5000": ErrInvalidAmount,
		"NaN": ErrInvalidAmount, "Inf": ErrInvalidAmount, "0x10": ErrInvalidAmount, "1 000": ErrInvalidAmount,
		"++1": ErrInvalidAmount, "1_000": ErrInvalidAmount, "٣": ErrInvalidAmount,
		"92233720368547758.08": ErrAmountOverflow, "1e18": ErrAmountOverflow, "99999999999999999999": ErrAmountOverflow,
		"922337203685477580.75": ErrAmountOverflow, "100000000000000000000000000000.5": ErrAmountOverflow,
	}
	for in, want := range tests {
		got, err := MinorUnits(in, "USD")
		if !errors.Is(err, want) || got != 0 {
			t.Errorf("MinorUnits(%q) = %d, %v; want %v", in, got, err, want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{2550, "USD", "USD 25.50"},
		{3000, "usd", "USD 30.00"},
		{5, "USD", "USD 0.05"},
		{0, "EUR", "EUR 0.00"},
		{300, "JPY", "JPY 300"},
		{1500, "KWD", "KWD 1.500"},
		{1, "KWD", "KWD 0.001"},
		{-2550, "USD", "USD -25.50"},
		{2550, "", "25.50"},
		{-9223372036854775808, "USD", "USD -92233720368547758.08"},
	}
	for _, tt := range tests {
		eq(t, tt.want, FormatMoney(tt.minor, tt.currency), tt.want)
	}
}

func TestMinorUnits_RoundTripsFormatMoney(t *testing.T) {
	for _, cur := range []string{"USD", "JPY", "KWD"} {
		for _, minor := range []int64{0, 1, 99, 100, 2550, 123456789} {
			s := FormatMoney(minor, cur)
			got, err := MinorUnits(s[len(cur)+1:], cur)
			if err != nil || got != minor {
				t.Errorf("%s: back to %d, %v", s, got, err)
			}
		}
	}
}
