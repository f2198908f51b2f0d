package web

import (
	"strings"
	"testing"

	"tuango/internal/tuango"
)

// A supplier's account sees its own products with their unit cost, in
// Chinese and English, and none of another supplier's; an account bound
// to no supplier sees none; other roles are refused.
func TestSupplierProductsPage(t *testing.T) {
	e := newEnv(t)
	var sup supplierView
	e.operator.mustDo("POST", "/api/v1/admin/suppliers", map[string]any{"name": "外地果园"}, 201, &sup)
	e.operator.mustDo("POST", "/api/v1/admin/products", map[string]any{"supplier_id": sup.ID, "name": "赣南脐橙 5斤", "category": "水果", "unit": "箱", "cost_fen": 2350}, 201, nil)
	e.operator.mustDo("POST", "/api/v1/admin/products", map[string]any{"supplier_id": e.supplierID, "name": "土鸡 1只", "category": "肉禽蛋", "unit": "只", "cost_fen": 4500}, 201, nil)

	mine := pageAs(e, e.roleUser(tuango.RoleSupplier, e.supplierID))
	p := mine.get("/supplier/products?lang=zh")
	for _, want := range []string{"我的商品", "鲜鸡蛋 15枚", "¥9.80", "土鸡 1只", "¥45.00"} {
		if p.status != 200 || !strings.Contains(p.body, want) {
			t.Errorf("the supplier's products page = %d, lacks %q:\n%s", p.status, want, p.body)
		}
	}
	if strings.Contains(p.body, "赣南脐橙") {
		t.Errorf("the page shows another supplier's product:\n%s", p.body)
	}
	if p := mine.get("/supplier/products?lang=en"); !strings.Contains(p.body, "My products") || !strings.Contains(p.body, "Unit cost") {
		t.Errorf("in English:\n%s", p.body)
	}
	unbound := pageAs(e, e.roleUser(tuango.RoleSupplier, ""))
	if p := unbound.get("/supplier/products?lang=zh"); p.status != 200 || !strings.Contains(p.body, "还没有商品") || strings.Contains(p.body, "鲜鸡蛋") {
		t.Errorf("an account bound to no supplier = %d:\n%s", p.status, p.body)
	}
	for _, c := range []*client{e.customer(), e.roleUser(tuango.RoleLeader, ""), e.operator} {
		if p := pageAs(e, c).get("/supplier/products"); p.status != 403 {
			t.Errorf("a non-supplier = %d, want 403", p.status)
		}
	}
}
