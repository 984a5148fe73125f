package metricsauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/lightning-operator/lightning-operator/internal/metricsauth"
	"github.com/lightning-operator/lightning-operator/internal/testenv"
)

// countedTokens and countedAccess count the reviews sent to the real apiserver.
type countedTokens struct {
	metricsauth.TokenReviews
	n atomic.Int32
}

func (c *countedTokens) Create(ctx context.Context, r *authenticationv1.TokenReview, o metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	c.n.Add(1)
	return c.TokenReviews.Create(ctx, r, o)
}

type countedAccess struct {
	metricsauth.AccessReviews
	n atomic.Int32
}

func (c *countedAccess) Create(ctx context.Context, r *authorizationv1.SubjectAccessReview, o metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error) {
	c.n.Add(1)
	return c.AccessReviews.Create(ctx, r, o)
}

// The guard answers by the apiserver's reviews, and asks again only when a
// cached answer runs out: a denial after 30 s, a token after a minute.
func TestGuardAgainstTheAPIServer(t *testing.T) {
	cfg := testenv.Start(t)
	cs := kubernetes.NewForConfigOrDie(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "scraper"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, "scraper", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := tr.Status.Token

	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tokens := &countedTokens{TokenReviews: cs.AuthenticationV1().TokenReviews()}
	access := &countedAccess{AccessReviews: cs.AuthorizationV1().SubjectAccessReviews()}
	guard := metricsauth.NewGuard(tokens, access, func() time.Time { return now })
	handler, err := guard.Wrap(logr.Discard(), http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("the metrics"))
	}))
	if err != nil {
		t.Fatal(err)
	}
	step := func(name, bearer string, wantCode int, wantTokenReviews, wantAccessReviews int32) {
		t.Helper()
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/metrics", nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != wantCode {
			t.Errorf("%s: %d %q, want %d", name, rec.Code, rec.Body.String(), wantCode)
		}
		if wantCode != http.StatusOK && rec.Body.String() == "the metrics" {
			t.Errorf("%s: served the metrics", name)
		}
		if got := tokens.n.Load(); got != wantTokenReviews {
			t.Errorf("%s: %d TokenReviews in all, want %d", name, got, wantTokenReviews)
		}
		if got := access.n.Load(); got != wantAccessReviews {
			t.Errorf("%s: %d SubjectAccessReviews in all, want %d", name, got, wantAccessReviews)
		}
	}

	step("no token", "", http.StatusUnauthorized, 0, 0)
	step("a forged token", "not-a-token", http.StatusUnauthorized, 1, 0)
	step("the forged token again", "not-a-token", http.StatusUnauthorized, 1, 0)
	step("a ServiceAccount without the role", token, http.StatusForbidden, 2, 1)

	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"},
		Rules: []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "scraper-reads-metrics"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "metrics-reader"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "default", Name: "scraper"}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	step("granted, within the denial's 30 s", token, http.StatusForbidden, 2, 1)

	// RBAC reaches the authorizer through its own informer: wait for it
	// with a fresh guard, so the one under test keeps its counts.
	waitAllowed(t, ctx, cs, token)
	now = now.Add(31 * time.Second)
	step("granted, after the denial ran out", token, http.StatusOK, 2, 2)
	step("again", token, http.StatusOK, 2, 2)
	now = now.Add(31 * time.Second)
	step("after the token's minute", token, http.StatusOK, 3, 2)
}

func waitAllowed(t *testing.T, ctx context.Context, cs kubernetes.Interface, token string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		g := metricsauth.NewGuard(cs.AuthenticationV1().TokenReviews(), cs.AuthorizationV1().SubjectAccessReviews(), time.Now)
		user, ok, err := g.Authenticate(ctx, token)
		if err == nil && ok {
			if allowed, _, err := g.Authorize(ctx, user, "get", "/metrics"); err == nil && allowed {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the binding never allowed the scraper: %v", err)
		}
	}
}
