package bench

import (
	"encoding/json"
	"testing"
)

// The bench's quick reading of answers agrees with decoding them whole.
func TestAnswerOf(t *testing.T) {
	for _, body := range []string{
		`{"id":"ord_0123456789abcdefghjk","status":"pending_payment","items":[{"deal_id":"deal_x"}]}`,
		`{"type":"https://tuango.example/problems/sold_out","title":"Conflict","status":409,"detail":"this deal is sold out","code":"sold_out","field":"items[0].deal_id"}`,
		`{"id":"odd\"id","status":"x"}`,
		`{"status":"x","id":"late"}`,
		`{"code":"bare"}`,
		`not json`,
		``,
	} {
		var want answer
		json.Unmarshal([]byte(body), &want)
		if got := answerOf([]byte(body)); got != want {
			t.Errorf("answerOf(%s) = %+v, want %+v", body, got, want)
		}
	}
}
