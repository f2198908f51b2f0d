package sqlstore

import (
	"fmt"
	"strings"
	"testing"
)

// Lookups take up to 128 ids per statement, padded to a power of two by
// repeating the last id, so that every id is asked and nothing else.
func TestInChunksPadsToPowersOfTwo(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 64, 65, 128, 129, 300} {
		var ids []string
		for i := range n {
			ids = append(ids, fmt.Sprint("id", i))
		}
		asked := map[string]bool{}
		var sizes []int
		err := inChunks(ids, func(marks string, args []any) error {
			if strings.Count(marks, "?") != len(args) {
				t.Errorf("n=%d: %d marks for %d args", n, strings.Count(marks, "?"), len(args))
			}
			sizes = append(sizes, len(args))
			for _, a := range args {
				asked[a.(string)] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(asked) != n {
			t.Errorf("n=%d: asked %d distinct ids", n, len(asked))
		}
		for _, c := range sizes {
			if c&(c-1) != 0 || c > 128 {
				t.Errorf("n=%d: a chunk of %d, want a power of two up to 128 (chunks %v)", n, c, sizes)
			}
		}
		if want := (n + 127) / 128; len(sizes) != want {
			t.Errorf("n=%d: %d statements %v, want %d", n, len(sizes), sizes, want)
		}
	}
}
