package app

import (
	"testing"

	"github.com/waorder/waorder/config"
)

// The picture limit the merchant is told fits in a request the service accepts at all.
func TestPictureCap_FitsInTheRequestBodyLimit(t *testing.T) {
	for _, tc := range []struct {
		name        string
		body, media int64
		want        int64
	}{
		{"defaults: the 3 MiB body bounds it", 3 << 20, 16 << 20, 3<<20 - 64<<10},
		{"a larger body: the media cap bounds it", 8 << 20, 4 << 20, 4 << 20},
		{"a larger body and cap", 8 << 20, 16 << 20, 8<<20 - 64<<10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pictureCap(config.Config{BodyLimitBytes: int(tc.body), MediaMaxBytes: tc.media})
			if got != tc.want {
				t.Fatalf("pictureCap = %d, want %d", got, tc.want)
			}
		})
	}
}
