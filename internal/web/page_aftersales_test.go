package web

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// A refused after-sales form shows the order page again with what is
// wrong, in the page's language, and the form as the customer typed it.
func TestAfterSalesFormSaysWhatIsWrong(t *testing.T) {
	e := newEnv(t)
	deal := e.newDeal(100, 20, 300)
	buyers, orders := e.pickedUp(deal, 3)
	var me userView
	buyers[0].mustDo("GET", "/api/v1/me", nil, 200, &me)
	b := newBrowser(t, e.srv.URL)
	b.logIn(me.Phone, "customer-pass")
	path := "/orders/" + orders[0]
	send := func(qty, reason, note string) page_ {
		t.Helper()
		form := b.get(path)
		return b.post(path+"/after-sales", url.Values{"csrf": {form.csrf(t)}, "key": {form.field(t, "key")}, "line_no": {"1"},
			"quantity": {qty}, "reason": {reason}, "note": {note}})
	}
	long := strings.Repeat("蛋", 2000)
	tests := []struct {
		name, qty, reason, note string
		status                  int
		want, invalid           string // the message, and the id of the field marked invalid
	}{
		{"no units", "0", "damaged", "两盒蛋碎了", 400, "件数须是 1 到 3 之间的整数。", "as-qty-1"},
		{"fewer than none", "-1", "damaged", "两盒蛋碎了", 400, "件数须是 1 到 3 之间的整数。", "as-qty-1"},
		{"not a number", "abc", "quality", "不新鲜", 400, "件数须是 1 到 3 之间的整数。", "as-qty-1"},
		{"more than was bought", "9", "missing", "少了", 409, "申请的件数超过了这一行尚未退款的件数。", "as-qty-1"},
		{"no reason", "2", "", "两盒蛋碎了", 400, "请选择售后原因。", "as-reason-1"},
		{"a note too long", "2", "quality", long, 400, "说明最多 500 个字，现在有 2,000 个字。", "as-note-1"},
		{"a note with a control character", "2", "quality", "坏了\x07", 400, "说明里有不能显示的字符，请删掉后再提交。", "as-note-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := send(tt.qty, tt.reason, tt.note)
			if p.status != tt.status || !strings.Contains(p.body, `id="as-error">`+tt.want+`<`) {
				t.Errorf("%s = %d, want %d with %q:\n%s", tt.name, p.status, tt.status, tt.want, p.body)
			}
			if strings.Contains(p.body, "提交的内容有误") {
				t.Errorf("%s shows the generic error", tt.name)
			}
			if !strings.Contains(p.body, `id="`+tt.invalid+`"`) || !regexp.MustCompile(`id="`+tt.invalid+`"[^>]*aria-invalid="true"`).MatchString(p.body) {
				t.Errorf("%s does not mark %s invalid:\n%s", tt.name, tt.invalid, p.body)
			}
			if !strings.Contains(p.body, `value="`+tt.qty+`"`) {
				t.Errorf("%s lost the units typed, %q", tt.name, tt.qty)
			}
			if tt.reason != "" && !strings.Contains(p.body, `value="`+tt.reason+`" selected`) {
				t.Errorf("%s lost the reason chosen, %q", tt.name, tt.reason)
			}
			if !strings.Contains(html.UnescapeString(p.body), ">"+tt.note+"</textarea>") {
				t.Errorf("%s lost the note typed", tt.name)
			}
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM after_sales`); n != 0 {
		t.Errorf("%d after-sales requests after refused forms, want 0", n)
	}
	t.Run("in English", func(t *testing.T) {
		b.get(path + "?lang=en")
		defer b.get(path + "?lang=zh")
		if p := send("0", "damaged", "broken"); p.status != 400 || !strings.Contains(p.body, "Units: a whole number from 1 to 3.") {
			t.Errorf("no units in English = %d:\n%s", p.status, p.body)
		}
		if p := send("1", "damaged", long); p.status != 400 || !strings.Contains(p.body, "The note is at most 500 characters; this one has 2,000.") {
			t.Errorf("a long note in English = %d:\n%s", p.status, p.body)
		}
	})
	t.Run("a note over lines is sent as one line", func(t *testing.T) {
		p := send("2", "damaged", "两盒\r\n蛋碎了")
		if p.status != 303 || !strings.Contains(p.header.Get("Location"), "as_sent=1") {
			t.Fatalf("a note with a line break = %d %s:\n%s", p.status, p.header.Get("Location"), p.body)
		}
		if n := e.count(`SELECT COUNT(*) FROM after_sales WHERE note = '两盒 蛋碎了'`); n != 1 {
			t.Errorf("%d requests with the note on one line, want 1", n)
		}
	})
}
