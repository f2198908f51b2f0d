package tuango_test

import (
	"context"
	"testing"

	"tuango/internal/storetest"
	"tuango/internal/tuango"
)

// Sessions are cached per node for SessionCacheTTL: a logout takes effect
// at once on the node that did it and within the TTL on the others; a
// change to the user is seen at once on its node.
func TestSessionCache(t *testing.T) {
	w := newWorld(t, storetest.DSN(t), 10)
	ctx := context.Background()
	other := w.node(tuango.Config{BatchMax: 1}) // a second node on the same database
	u, token, err := w.svc.Register(ctx, "13300000001", "password-1", "顾客")
	must(t, err)
	for _, svc := range []*tuango.Service{w.svc, other} {
		if got, err := svc.Authenticate(ctx, token); err != nil || got.ID != u.ID {
			t.Fatalf("Authenticate = %v, %v", got, err)
		}
	}
	a := tuango.Actor{UserID: u.ID, Role: u.Role}
	if _, err := w.svc.SetHomePickupPoint(ctx, a, w.pp); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.svc.Authenticate(ctx, token); got.HomePickupPointID != w.pp {
		t.Errorf("home pickup point on the same node = %q, want %q at once", got.HomePickupPointID, w.pp)
	}
	must(t, w.svc.Logout(ctx, token))
	if _, err := w.svc.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
		t.Errorf("Authenticate after logout on the same node = %v, want unauthorized", err)
	}
	if _, err := other.Authenticate(ctx, token); err != nil {
		t.Errorf("Authenticate on another node within the TTL = %v, want the cached session", err)
	}
	w.clock.Advance(tuango.SessionCacheTTL)
	if _, err := other.Authenticate(ctx, token); tuango.ErrorCode(err) != tuango.CodeUnauthorized {
		t.Errorf("Authenticate on another node after the TTL = %v, want unauthorized", err)
	}
}
