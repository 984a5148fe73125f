// Package metricsauth guards the metrics endpoint: it answers only a caller
// whose bearer token the apiserver authenticates (a TokenReview) and whom it
// allows the request's verb on its path (a SubjectAccessReview), as
// controller-runtime's filters.WithAuthenticationAndAuthorization does. It
// asks with client-go's typed clients instead of k8s.io/apiserver's
// delegating authenticator: that module (with CEL, gRPC and OpenTelemetry)
// was two fifths of the manager's binary and 15 MiB of its resident set
// (make bench-scale; docs/performance.md).
package metricsauth

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	authenticationclient "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationclient "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// How long answers are kept: the apiserver's own delegating authenticator
// and authorizer keep them as long (k8s.io/apiserver authenticatorfactory
// and authorizerfactory as controller-runtime configures them).
const (
	tokenTTL      = time.Minute
	allowTTL      = 5 * time.Minute
	denyTTL       = 30 * time.Second
	reviewTimeout = 10 * time.Second
)

// reviewBackoff retries a review the apiserver could not answer: about 4 s
// in all, within a scraper's usual 10 s timeout.
var reviewBackoff = wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5}

// Filter is a metricsserver.Options.FilterProvider.
func Filter(config *rest.Config, httpClient *http.Client) (metricsserver.Filter, error) {
	authn, err := authenticationclient.NewForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, fmt.Errorf("the TokenReview client: %w", err)
	}
	authz, err := authorizationclient.NewForConfigAndClient(config, httpClient)
	if err != nil {
		return nil, fmt.Errorf("the SubjectAccessReview client: %w", err)
	}
	g := NewGuard(authn.TokenReviews(), authz.SubjectAccessReviews(), time.Now)
	return g.Wrap, nil
}

// TokenReviews creates TokenReviews (client-go's TokenReviewInterface).
type TokenReviews interface {
	Create(ctx context.Context, review *authenticationv1.TokenReview, opts metav1.CreateOptions) (*authenticationv1.TokenReview, error)
}

// AccessReviews creates SubjectAccessReviews (client-go's SubjectAccessReviewInterface).
type AccessReviews interface {
	Create(ctx context.Context, review *authorizationv1.SubjectAccessReview, opts metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error)
}

// Guard asks the apiserver who a caller is and whether it may, and keeps
// the answers for a while so each scrape does not cost two reviews.
type Guard struct {
	tokens  TokenReviews
	access  AccessReviews
	users   *reviewCache[tokenAnswer]
	allowed *reviewCache[accessAnswer]
}

type tokenAnswer struct {
	authenticated bool
	user          authenticationv1.UserInfo
}

type accessAnswer struct {
	allowed bool
	reason  string
}

// NewGuard asks through tokens and access; now is the cache's clock.
func NewGuard(tokens TokenReviews, access AccessReviews, now func() time.Time) *Guard {
	return &Guard{tokens: tokens, access: access,
		users: newReviewCache[tokenAnswer](now), allowed: newReviewCache[accessAnswer](now)}
}

// Wrap is a metricsserver.Filter: next is served only to an authenticated,
// authorized caller. 401 without a valid token, 403 when not allowed, 500
// when the apiserver could not answer.
func (g *Guard) Wrap(log logr.Logger, next http.Handler) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		token, ok := BearerToken(req.Header)
		if !ok {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		user, ok, err := g.Authenticate(req.Context(), token)
		if err != nil {
			log.Error(err, "Reviewing a metrics caller's token")
			http.Error(w, "Authentication failed", http.StatusInternalServerError)
			return
		}
		if !ok {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		verb := strings.ToLower(req.Method)
		allowed, reason, err := g.Authorize(req.Context(), user, verb, req.URL.Path)
		if err != nil {
			log.Error(err, "Reviewing a metrics caller's access", "user", user.Username)
			http.Error(w, fmt.Sprintf("Authorization for user %s failed", user.Username), http.StatusInternalServerError)
			return
		}
		if !allowed {
			log.V(4).Info("Metrics caller denied", "user", user.Username, "verb", verb, "path", req.URL.Path, "reason", reason)
			http.Error(w, fmt.Sprintf("Authorization denied for user %s", user.Username), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, req)
	}), nil
}

// BearerToken is the token of an "Authorization: Bearer <token>" header.
func BearerToken(h http.Header) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// Authenticate returns the user the apiserver says token belongs to, and
// whether it said so.
func (g *Guard) Authenticate(ctx context.Context, token string) (authenticationv1.UserInfo, bool, error) {
	key := sha256.Sum256([]byte(token))
	if a, ok := g.users.get(key); ok {
		return a.user, a.authenticated, nil
	}
	var answer *authenticationv1.TokenReview
	err := review(ctx, func(ctx context.Context) (err error) {
		answer, err = g.tokens.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return authenticationv1.UserInfo{}, false, fmt.Errorf("creating a TokenReview: %w", err)
	}
	a := tokenAnswer{authenticated: answer.Status.Authenticated, user: answer.Status.User}
	g.users.put(key, a, tokenTTL)
	return a.user, a.authenticated, nil
}

// Authorize returns whether the apiserver allows user verb on the
// non-resource path, and its reason.
func (g *Guard) Authorize(ctx context.Context, user authenticationv1.UserInfo, verb, path string) (bool, string, error) {
	key := AccessKey(user, verb, path)
	if a, ok := g.allowed.get(key); ok {
		return a.allowed, a.reason, nil
	}
	var answer *authorizationv1.SubjectAccessReview
	err := review(ctx, func(ctx context.Context) (err error) {
		answer, err = g.access.Create(ctx, AccessReview(user, verb, path), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return false, "", fmt.Errorf("creating a SubjectAccessReview: %w", err)
	}
	a := accessAnswer{allowed: answer.Status.Allowed && !answer.Status.Denied, reason: answer.Status.Reason}
	if a.allowed {
		g.allowed.put(key, a, allowTTL)
	} else {
		g.allowed.put(key, a, denyTTL)
	}
	return a.allowed, a.reason, nil
}

// AccessReview asks whether user may verb the non-resource path.
func AccessReview(user authenticationv1.UserInfo, verb, path string) *authorizationv1.SubjectAccessReview {
	var extra map[string]authorizationv1.ExtraValue
	if len(user.Extra) > 0 {
		extra = make(map[string]authorizationv1.ExtraValue, len(user.Extra))
		for k, v := range user.Extra {
			extra[k] = authorizationv1.ExtraValue(v)
		}
	}
	return &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:                  user.Username,
		UID:                   user.UID,
		Groups:                user.Groups,
		Extra:                 extra,
		NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: path, Verb: verb},
	}}
}

// AccessKey is a digest of everything an access review is asked about:
// two requests with the same key get the same answer. Groups and extra
// values are sorted first, as their order does not change the answer.
func AccessKey(user authenticationv1.UserInfo, verb, path string) [32]byte {
	spec := AccessReview(user, verb, path).Spec
	spec.Groups = slices.Sorted(slices.Values(spec.Groups))
	for k, v := range spec.Extra {
		spec.Extra[k] = slices.Sorted(slices.Values(v))
	}
	// JSON is unambiguous and writes map keys sorted; a spec always encodes.
	data, _ := json.Marshal(spec)
	return sha256.Sum256(data)
}

// review calls create, each try bounded by reviewTimeout, and tries again
// while the apiserver's answer is a transient failure.
func review(ctx context.Context, create func(context.Context) error) error {
	return retry.OnError(reviewBackoff, func(err error) bool { return ctx.Err() == nil && Transient(err) }, func() error {
		tryCtx, cancel := context.WithTimeout(ctx, reviewTimeout)
		defer cancel()
		return create(tryCtx)
	})
}

// Transient reports whether a review may succeed if asked again: the
// apiserver was busy, timed out or failed, or could not be reached. A
// refusal (forbidden, invalid) is final.
func Transient(err error) bool {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return !errors.Is(err, context.Canceled)
	}
	return apierrors.IsTooManyRequests(err) || apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err)
}
