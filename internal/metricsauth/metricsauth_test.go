package metricsauth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/lightning-operator/lightning-operator/internal/metricsauth"
)

func TestBearerToken(t *testing.T) {
	for _, tt := range []struct {
		header string
		want   string
		ok     bool
	}{
		{"Bearer abc.def", "abc.def", true},
		{"bearer abc", "abc", true},
		{"  Bearer   abc  ", "abc", true},
		{"", "", false},
		{"Bearer", "", false},
		{"Bearer ", "", false},
		{"Basic dXNlcjpwYXNz", "", false},
		{"abc", "", false},
	} {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Authorization", tt.header)
		}
		got, ok := metricsauth.BearerToken(h)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: %q, %v; want %q, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAccessKey(t *testing.T) {
	base := authenticationv1.UserInfo{Username: "system:serviceaccount:monitoring:prometheus", UID: "u1",
		Groups: []string{"system:serviceaccounts", "system:authenticated"},
		Extra:  map[string]authenticationv1.ExtraValue{"pod": {"p1", "p2"}}}
	key := metricsauth.AccessKey(base, "get", "/metrics")

	same := base
	same.Groups = []string{"system:authenticated", "system:serviceaccounts"}
	same.Extra = map[string]authenticationv1.ExtraValue{"pod": {"p2", "p1"}}
	if metricsauth.AccessKey(same, "get", "/metrics") != key {
		t.Error("the order of groups or extra values changed the key")
	}

	for name, change := range map[string]func(u *authenticationv1.UserInfo) (string, string){
		"another user":   func(u *authenticationv1.UserInfo) (string, string) { u.Username += "x"; return "get", "/metrics" },
		"another uid":    func(u *authenticationv1.UserInfo) (string, string) { u.UID = "u2"; return "get", "/metrics" },
		"a group fewer":  func(u *authenticationv1.UserInfo) (string, string) { u.Groups = u.Groups[:1]; return "get", "/metrics" },
		"another extra":  func(u *authenticationv1.UserInfo) (string, string) { u.Extra = nil; return "get", "/metrics" },
		"another verb":   func(u *authenticationv1.UserInfo) (string, string) { return "post", "/metrics" },
		"another path":   func(u *authenticationv1.UserInfo) (string, string) { return "get", "/debug" },
		"fields shifted": func(u *authenticationv1.UserInfo) (string, string) { return "ge", "t/metrics" },
	} {
		u := base
		u.Groups = append([]string(nil), base.Groups...)
		verb, path := change(&u)
		if metricsauth.AccessKey(u, verb, path) == key {
			t.Errorf("%s: the same key", name)
		}
	}
}

func TestAccessReview(t *testing.T) {
	u := authenticationv1.UserInfo{Username: "alice", UID: "u1", Groups: []string{"g"},
		Extra: map[string]authenticationv1.ExtraValue{"scope": {"a"}}}
	r := metricsauth.AccessReview(u, "get", "/metrics")
	s := r.Spec
	if s.User != "alice" || s.UID != "u1" || len(s.Groups) != 1 || s.Groups[0] != "g" || len(s.Extra["scope"]) != 1 ||
		s.NonResourceAttributes == nil || s.NonResourceAttributes.Path != "/metrics" || s.NonResourceAttributes.Verb != "get" ||
		s.ResourceAttributes != nil {
		t.Errorf("review spec %+v", s)
	}
}

func TestTransient(t *testing.T) {
	gr := schema.GroupResource{Group: "authentication.k8s.io", Resource: "tokenreviews"}
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{apierrors.NewTooManyRequests("slow down", 1), true},
		{apierrors.NewServiceUnavailable("starting"), true},
		{apierrors.NewInternalError(errors.New("boom")), true},
		{apierrors.NewTimeoutError("busy", 1), true},
		{fmt.Errorf("dial tcp: connection refused"), true},
		{apierrors.NewForbidden(gr, "", errors.New("no RBAC")), false},
		{apierrors.NewBadRequest("bad"), false},
		{context.Canceled, false},
	} {
		if got := metricsauth.Transient(tt.err); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.err, got, tt.want)
		}
	}
}
