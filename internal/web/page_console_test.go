package web

import (
	"context"
	"html/template"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/language"

	"tuango/internal/tuango"
)

// The console's forms: good input saves and leads to the saved row; bad
// input answers 400 with the rule under the field, in the operator's
// language, and writes nothing; a customer is refused.
func TestConsoleForms(t *testing.T) {
	e := newEnv(t)
	leader, err := e.svc.CreateUser(context.Background(), tuango.NewAccount{Phone: "13700000099", Password: "leader-pass", Name: "周团长", Role: tuango.RoleLeader})
	must(t, err)
	zh := newBrowser(t, e.srv.URL)
	zh.logIn("13900000001", "operator-pass")
	en := newBrowser(t, e.srv.URL)
	en.logIn("13900000001", "operator-pass")
	en.get("/admin?lang=en")
	pointForm := func(name, leaderID, commission string) url.Values {
		return url.Values{"name": {name}, "address": {"岳麓区桃子湖路 8 号"}, "city_id": {e.cityID}, "leader_id": {leaderID}, "commission_bps": {commission}, "active": {"1"}}
	}
	tests := []struct {
		name   string
		b      *browser
		path   string
		form   url.Values
		status int
		want   string // in the page (or the redirect's location)
		count  string // a query whose answer is want written
		rows   int
	}{
		{"new leader saves", zh, "/admin/leaders", url.Values{"name": {"吴团长"}, "phone": {"13700000011"}, "password": {"leader-pass"}},
			303, "/admin/leaders/usr_", `SELECT COUNT(*) FROM users WHERE phone = '13700000011' AND role = 'leader' AND name = '吴团长'`, 1},
		{"leader with a bad phone is refused in Chinese", zh, "/admin/leaders", url.Values{"name": {"郑团长"}, "phone": {"1370"}, "password": {"leader-pass"}},
			400, "请填写 11 位手机号", `SELECT COUNT(*) FROM users WHERE name = '郑团长'`, 0},
		{"leader with a taken phone is refused in English", en, "/admin/leaders", url.Values{"name": {"郑团长"}, "phone": {"13900000001"}, "password": {"leader-pass"}},
			400, "An account with this phone number already exists.", `SELECT COUNT(*) FROM users WHERE name = '郑团长'`, 0},
		{"leader with a short password is refused", en, "/admin/leaders", url.Values{"name": {"郑团长"}, "phone": {"13700000012"}, "password": {"short"}},
			400, "The password has 8 to 128 characters.", `SELECT COUNT(*) FROM users WHERE phone = '13700000012'`, 0},
		{"leader with a breached password is refused in Chinese", zh, "/admin/leaders", url.Values{"name": {"郑团长"}, "phone": {"13700000012"}, "password": {"12345678"}},
			400, "这是泄露密码库里最常见的密码之一，请换一个。", `SELECT COUNT(*) FROM users WHERE phone = '13700000012'`, 0},
		{"leader with a breached password is refused in English", en, "/admin/leaders", url.Values{"name": {"郑团长"}, "phone": {"13700000012"}, "password": {"password"}},
			400, "This is one of the most common passwords in leaked password lists; choose another.", `SELECT COUNT(*) FROM users WHERE phone = '13700000012'`, 0},
		{"leader without a name is not renamed", zh, "/admin/leaders/" + leader.ID, url.Values{"name": {" "}},
			400, "请填写姓名，最多 50 个字。", `SELECT COUNT(*) FROM users WHERE name = '周团长'`, 1},
		{"leader is renamed", zh, "/admin/leaders/" + leader.ID, url.Values{"name": {"周姐"}},
			303, "/admin/leaders/" + leader.ID + "?saved=1", `SELECT COUNT(*) FROM users WHERE name = '周姐'`, 1},

		{"new pickup point saves", zh, "/admin/pickup-points", pointForm("桃子湖·周姐小卖部", leader.ID, "8.5"),
			303, "/admin/pickup-points/pp_", `SELECT COUNT(*) FROM pickup_points WHERE name = '桃子湖·周姐小卖部' AND commission_bps = 850 AND active = TRUE AND leader_id = '` + leader.ID + `'`, 1},
		{"pickup point with a commission over 30% is refused in English", en, "/admin/pickup-points", pointForm("桃子湖·贵", "", "31"),
			400, "The commission is from 0 to 30 percent", `SELECT COUNT(*) FROM pickup_points WHERE name = '桃子湖·贵'`, 0},
		{"pickup point with a commission in words is refused", zh, "/admin/pickup-points", pointForm("桃子湖·字", "", "十"),
			400, "佣金比例须在 0 到 30 之间", `SELECT COUNT(*) FROM pickup_points WHERE name = '桃子湖·字'`, 0},
		{"pickup point run by a customer is refused", zh, "/admin/pickup-points", pointForm("桃子湖·顾客", "usr_not_a_leader", "10"),
			400, "请选择一位团长，或暂不指定。", `SELECT COUNT(*) FROM pickup_points WHERE name = '桃子湖·顾客'`, 0},
		{"pickup point without an address is not changed", en, "/admin/pickup-points/" + e.otherPPID, url.Values{"name": {"改名"}, "city_id": {e.cityID}, "commission_bps": {"6"}},
			400, "Enter an address, at most 200 characters.", `SELECT COUNT(*) FROM pickup_points WHERE name = '改名'`, 0},
		{"pickup point is edited and closed", zh, "/admin/pickup-points/" + e.otherPPID, url.Values{"name": {"砂子塘·新店"}, "address": {"雨花区"}, "city_id": {e.cityID}, "leader_id": {leader.ID}, "commission_bps": {"7"}},
			303, "/admin/pickup-points/" + e.otherPPID + "?saved=1", `SELECT COUNT(*) FROM pickup_points WHERE name = '砂子塘·新店' AND commission_bps = 700 AND active = FALSE`, 1},

		{"new supplier saves", zh, "/admin/suppliers", url.Values{"name": {"宁乡花猪场"}, "contact": {"0731-88888888"}},
			303, "/admin/suppliers/sup_", `SELECT COUNT(*) FROM suppliers WHERE name = '宁乡花猪场' AND contact = '0731-88888888'`, 1},
		{"supplier without a name is refused in English", en, "/admin/suppliers", url.Values{"contact": {"无名氏"}},
			400, "Enter a name, at most 100 characters.", `SELECT COUNT(*) FROM suppliers WHERE contact = '无名氏'`, 0},
		{"supplier is renamed", zh, "/admin/suppliers/" + e.supplierID, url.Values{"name": {"望城合作社"}},
			303, "/admin/suppliers/" + e.supplierID + "?saved=1", `SELECT COUNT(*) FROM suppliers WHERE name = '望城合作社'`, 1},

		{"new product saves", zh, "/admin/products", url.Values{"supplier_id": {e.supplierID}, "name": {"土鸡 1只"}, "category": {"肉禽蛋"}, "unit": {"只"}, "cost_fen": {"45.5"}},
			303, "/admin/products/prd_", `SELECT COUNT(*) FROM products WHERE name = '土鸡 1只' AND cost_fen = 4550`, 1},
		{"product with a cost in words is refused in English", en, "/admin/products", url.Values{"supplier_id": {e.supplierID}, "name": {"土鸭"}, "category": {"肉禽蛋"}, "unit": {"只"}, "cost_fen": {"cheap"}},
			400, "Enter an amount from 0 to 100,000,000 with at most two decimals, such as 8.50 (0 for a free gift).", `SELECT COUNT(*) FROM products WHERE name = '土鸭'`, 0},
		{"product without a supplier is refused", zh, "/admin/products", url.Values{"name": {"土鹅"}, "category": {"肉禽蛋"}, "unit": {"只"}, "cost_fen": {"60"}},
			400, "请选择一个供应商。", `SELECT COUNT(*) FROM products WHERE name = '土鹅'`, 0},
		{"product is edited", zh, "/admin/products/" + e.productID, url.Values{"supplier_id": {e.supplierID}, "name": {"鲜鸡蛋 30枚"}, "category": {"肉禽蛋"}, "unit": {"盒"}, "cost_fen": {"18.80"}},
			303, "/admin/products/" + e.productID + "?saved=1", `SELECT COUNT(*) FROM products WHERE name = '鲜鸡蛋 30枚' AND cost_fen = 1880`, 1},
	}
	csrf := map[*browser]string{zh: zh.get("/admin/leaders").csrf(t), en: en.get("/admin/leaders").csrf(t)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("csrf", csrf[tt.b])
			p := tt.b.post(tt.path, tt.form)
			got := p.body
			if p.status == 303 {
				got = p.header.Get("Location")
			}
			if p.status != tt.status || !strings.Contains(got, tt.want) {
				t.Errorf("POST %s = %d, want %d with %q:\n%s", tt.path, p.status, tt.status, tt.want, got)
			}
			if p.status == 400 && !strings.Contains(p.body, `aria-invalid="true"`) {
				t.Errorf("POST %s: no field is marked invalid", tt.path)
			}
			if n := e.count(tt.count); n != tt.rows {
				t.Errorf("%s = %d, want %d", tt.count, n, tt.rows)
			}
		})
	}

	t.Run("the saved rows show on their pages", func(t *testing.T) {
		for path, want := range map[string]string{
			"/admin/leaders":                               "周姐",
			"/admin/leaders?q=1370000009":                  "砂子塘·新店", // the leader's pickup points
			"/admin/leaders/" + leader.ID:                  `value="周姐"`,
			"/admin/pickup-points/" + e.otherPPID:          `value="砂子塘·新店"`,
			"/admin/pickup-points":                         "周姐 13700000099", // the leader of the edited pickup point
			"/admin/pickup-points/new":                     "新增自提点",
			"/admin/suppliers":                             "宁乡花猪场",
			"/admin/suppliers/" + e.supplierID:             `value="望城合作社"`,
			"/admin/products/" + e.productID:               `value="18.80"`,
			"/admin/products/new?supplier=" + e.supplierID: `<option value="` + e.supplierID + `" selected>`,
		} {
			if p := zh.get(path); p.status != 200 || !strings.Contains(p.body, want) {
				t.Errorf("GET %s = %d, want %q in:\n%s", path, p.status, want, p.body)
			}
		}
		if p := zh.get("/admin/leaders?q=nobody"); strings.Contains(p.body, "周姐") || !strings.Contains(p.body, "没有符合的团长。") {
			t.Errorf("a search for nobody lists leaders:\n%s", p.body)
		}
	})

	t.Run("a customer is refused", func(t *testing.T) {
		c := shopper(e, e.newDeal(10, 5, 100))
		token := c.get("/").csrf(t)
		for _, path := range []string{"/admin/leaders", "/admin/leaders/" + leader.ID, "/admin/pickup-points/new", "/admin/pickup-points/" + e.ppID,
			"/admin/suppliers/new", "/admin/suppliers/" + e.supplierID, "/admin/products/new", "/admin/products/" + e.productID} {
			if p := c.get(path); p.status != 403 {
				t.Errorf("a customer's GET %s = %d, want 403", path, p.status)
			}
		}
		for _, path := range []string{"/admin/leaders", "/admin/leaders/" + leader.ID, "/admin/pickup-points", "/admin/pickup-points/" + e.ppID,
			"/admin/suppliers", "/admin/suppliers/" + e.supplierID, "/admin/products", "/admin/products/" + e.productID} {
			if p := c.post(path, url.Values{"csrf": {token}, "name": {"顾客改的"}, "phone": {"13700000077"}, "password": {"leader-pass"}}); p.status != 403 {
				t.Errorf("a customer's POST %s = %d, want 403", path, p.status)
			}
		}
		for _, tb := range []string{"users", "pickup_points", "suppliers", "products"} {
			if n := e.count(`SELECT COUNT(*) FROM ` + tb + ` WHERE name = '顾客改的'`); n != 0 {
				t.Errorf("a customer's forms wrote %d rows of %s", n, tb)
			}
		}
	})
}

// The console's forms name every field at fault at once, each under its
// field and in the operator's language, keep what was typed, and write
// nothing.
func TestConsoleFormsNameEveryFieldAtFault(t *testing.T) {
	e := newEnv(t)
	zh := newBrowser(t, e.srv.URL)
	zh.logIn("13900000001", "operator-pass")
	en := newBrowser(t, e.srv.URL)
	en.logIn("13900000001", "operator-pass")
	en.get("/admin?lang=en")
	long := func(n int) string { return strings.Repeat("长", n) }
	tests := []struct {
		name  string
		b     *browser
		path  string
		form  url.Values
		want  map[string]string // field → the message id under it
		kept  []string          // typed values the form shows again
		count string            // a query whose answer the post must not change
	}{
		{"a leader with every field empty", zh, "/admin/leaders", url.Values{},
			map[string]string{"name": "rule.leader.name", "phone": "rule.leader.phone", "password": "rule.leader.password"}, nil,
			`SELECT COUNT(*) FROM users`},
		{"a leader with a long name, a short phone and a breached password, in English", en, "/admin/leaders",
			url.Values{"name": {long(51)}, "phone": {"1370"}, "password": {"password"}},
			map[string]string{"name": "rule.leader.name", "phone": "rule.leader.phone", "password": "rule.password_too_weak"},
			[]string{`value="` + long(51) + `"`, `value="1370"`}, `SELECT COUNT(*) FROM users`},

		{"a pickup point with every field empty", zh, "/admin/pickup-points", url.Values{},
			map[string]string{"name": "rule.point.name", "address": "rule.point.address", "city_id": "rule.point.city_id", "commission_bps": "rule.point.commission_bps"}, nil,
			`SELECT COUNT(*) FROM pickup_points`},
		{"a pickup point edited without a name, with a long address and too much commission, in English", en, "/admin/pickup-points/" + e.otherPPID,
			url.Values{"name": {""}, "address": {long(201)}, "city_id": {e.cityID}, "commission_bps": {"31"}},
			map[string]string{"name": "rule.point.name", "address": "rule.point.address", "commission_bps": "rule.point.commission_bps"},
			[]string{`value="` + long(201) + `"`, `value="31"`},
			`SELECT COUNT(*) FROM pickup_points WHERE name = '砂子塘小区·梁姐生鲜店' AND address = '雨花区韶山中路203号' AND commission_bps = 600`},

		{"a supplier without a name and with a long contact", zh, "/admin/suppliers", url.Values{"contact": {long(101)}},
			map[string]string{"name": "rule.supplier.name", "contact": "rule.supplier.contact"}, []string{`value="` + long(101) + `"`},
			`SELECT COUNT(*) FROM suppliers`},
		{"a supplier edited without a name and with a long contact, in English", en, "/admin/suppliers/" + e.supplierID, url.Values{"contact": {long(101)}},
			map[string]string{"name": "rule.supplier.name", "contact": "rule.supplier.contact"}, []string{`value="` + long(101) + `"`},
			`SELECT COUNT(*) FROM suppliers WHERE name = '望城蔬菜合作社'`},

		{"a product with every field empty", zh, "/admin/products", url.Values{},
			map[string]string{"supplier_id": "rule.product.supplier_id", "name": "rule.product.name", "category": "rule.product.category", "unit": "rule.product.unit", "cost_fen": "rule.product.cost_fen"}, nil,
			`SELECT COUNT(*) FROM products`},
		{"a product edited without a supplier, with a long name and unit and a cost in words, in English", en, "/admin/products/" + e.productID,
			url.Values{"name": {long(101)}, "category": {"肉禽蛋"}, "unit": {long(21)}, "cost_fen": {"cheap"}},
			map[string]string{"supplier_id": "rule.product.supplier_id", "name": "rule.product.name", "unit": "rule.product.unit", "cost_fen": "rule.product.cost_fen"},
			[]string{`value="` + long(101) + `"`, `value="肉禽蛋"`, `value="cheap"`},
			`SELECT COUNT(*) FROM products WHERE name = '鲜鸡蛋 15枚' AND unit = '盒' AND cost_fen = 980`},
	}
	langs := map[*browser]language.Tag{zh: langZH, en: langEN}
	csrf := map[*browser]string{zh: zh.get("/admin/leaders").csrf(t), en: en.get("/admin/leaders").csrf(t)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.count(tt.count)
			tt.form.Set("csrf", csrf[tt.b])
			p := tt.b.post(tt.path, tt.form)
			if p.status != 400 {
				t.Fatalf("POST %s = %d, want 400:\n%s", tt.path, p.status, p.body)
			}
			for field, id := range tt.want {
				if want := underField(langs[tt.b], field, id); !strings.Contains(p.body, want) {
					t.Errorf("POST %s: the page does not say %q under %s:\n%s", tt.path, want, field, p.body)
				}
			}
			if n := strings.Count(p.body, `class="field-error"`); n != len(tt.want) {
				t.Errorf("POST %s: %d fields are marked, want %d", tt.path, n, len(tt.want))
			}
			for _, v := range tt.kept {
				if !strings.Contains(p.body, v) {
					t.Errorf("POST %s: the form lost %s", tt.path, v)
				}
			}
			if n := e.count(tt.count); n != before {
				t.Errorf("%s = %d after the post, want %d", tt.count, n, before)
			}
		})
	}
}

// underField is what a form shows under field when the domain refuses it:
// message id in the page's language, escaped as the page escapes it.
func underField(lang language.Tag, field, id string) string {
	return `id="` + field + `-error">` + template.HTMLEscapeString(newPrinter(lang).Sprintf(id))
}
