// Package auth says who is calling: it verifies bearer tokens (HS256 tokens
// signed with a shared secret in development, OpenID Connect ID/access
// tokens checked against the provider's rotating JWKS in production) and
// turns them into a Principal. What a principal may do is decided in one
// place, Authorize (policy.go).
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"

	"github.com/motcua/motcua/dossier"
)

// Role is what a principal does at the center.
type Role string

// The roles.
const (
	// RolePortal is an API client (a public-service portal) submitting and
	// acting on behalf of applicants.
	RolePortal Role = "portal"
	// RoleIntakeOfficer works at the receiving agency's counter.
	RoleIntakeOfficer Role = "intake_officer"
	// RoleReviewer reviews a department's step.
	RoleReviewer Role = "reviewer"
	// RoleLeader approves, extends, stops and signs apology letters.
	RoleLeader Role = "leader"
	// RoleAdmin keeps the catalog and the calendar.
	RoleAdmin Role = "admin"
	// RoleOps reads everything and decides nothing.
	RoleOps Role = "ops"
)

// Roles lists every role, in the order the README's table uses.
var Roles = []Role{RolePortal, RoleIntakeOfficer, RoleReviewer, RoleLeader, RoleAdmin, RoleOps}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// needsAgency: staff who decide on steps always belong to one agency.
func (r Role) needsAgency() bool {
	return r == RoleIntakeOfficer || r == RoleReviewer || r == RoleLeader
}

// Principal is who made a request.
type Principal struct {
	Subject string `json:"sub"`
	Role    Role   `json:"role"`
	// Agency is the code (catalog) of the center, department or commune
	// the person works for; empty for ops and admin (all agencies) and
	// portals (any agency).
	Agency string `json:"agency,omitempty"`
}

// String is how the control sheet records the actor of an event:
// "subject (role, agency)".
func (p Principal) String() string {
	if p.Agency == "" {
		return fmt.Sprintf("%s (%s)", p.Subject, p.Role)
	}
	return fmt.Sprintf("%s (%s, %s)", p.Subject, p.Role, p.Agency)
}

// Validate checks that a principal's claims make sense.
func (p Principal) Validate() error {
	switch {
	case strings.TrimSpace(p.Subject) == "":
		return errors.New("the token has no subject (sub)")
	case len(p.Subject) > 200:
		return errors.New("the token's subject is longer than 200 characters")
	case !p.Role.Valid():
		return fmt.Errorf("the token's role %q is not one of %s", p.Role, roleList())
	case p.Role.needsAgency() && p.Agency == "":
		return fmt.Errorf("a %s token must carry the agency the person works for (claim agency)", p.Role)
	case len(p.Agency) > 50:
		return errors.New("the token's agency is longer than 50 characters")
	}
	return nil
}

func roleList() string {
	s := make([]string, len(Roles))
	for i, r := range Roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// Verifier turns a bearer token into a principal. A token that is missing,
// malformed, expired or signed by someone else is an EUnauthenticated
// error saying which.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// claims are the JWT claims motcua reads: the registered ones plus role
// and agency.
type claims struct {
	jwt.RegisteredClaims
	Role   Role   `json:"role"`
	Agency string `json:"agency,omitempty"`
}

// DevIssuer is the issuer of development tokens.
const DevIssuer = "motcua-dev"

// HS256 signs and verifies development tokens with a shared secret.
type HS256 struct {
	secret []byte
	now    func() time.Time
}

// MinSecretLen is the shortest secret HS256 accepts (256 bits).
const MinSecretLen = 32

// NewHS256 returns a development signer/verifier.
func NewHS256(secret string) (*HS256, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("MOTCUA_JWT_SECRET must be at least %d characters", MinSecretLen)
	}
	return &HS256{secret: []byte(secret), now: time.Now}, nil
}

// Mint returns a signed token for p, valid for ttl.
func (h *HS256) Mint(p Principal, ttl time.Duration) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if ttl <= 0 {
		return "", errors.New("the token's lifetime must be positive")
	}
	now := h.now()
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: DevIssuer, Subject: p.Subject,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Role: p.Role, Agency: p.Agency,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(h.secret)
}

// Verify checks a development token.
func (h *HS256) Verify(_ context.Context, token string) (Principal, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return h.secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(DevIssuer),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(h.now), jwt.WithLeeway(30*time.Second))
	if err != nil {
		return Principal{}, unauthenticated(tokenProblem(err))
	}
	return principal(c.Subject, c.Role, c.Agency)
}

func principal(sub string, role Role, agency string) (Principal, error) {
	p := Principal{Subject: sub, Role: role, Agency: agency}
	if err := p.Validate(); err != nil {
		return Principal{}, unauthenticated(err.Error())
	}
	return p, nil
}

func tokenProblem(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired; get a new one"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token's signature does not verify"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is not a JWT"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "the token was issued by someone else"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token has no expiry (exp)"
	}
	return "the token is not valid"
}

func unauthenticated(msg string) error {
	return &dossier.Error{Code: dossier.EUnauthenticated, Message: msg}
}

// OIDC verifies tokens issued by an OpenID Connect provider. Keys come from
// the provider's JWKS (discovered from the issuer) and are refetched when a
// token names a key id it has not seen, so the provider can rotate them.
// The provider maps each person's role and agency into the claims "role"
// and "agency" (a protocol mapper in Keycloak, a custom claim elsewhere).
type OIDC struct {
	verifier *oidc.IDTokenVerifier
}

// NewOIDC discovers the provider at issuer and verifies tokens whose
// audience includes audience.
func NewOIDC(ctx context.Context, issuer, audience string) (*OIDC, error) {
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("OpenID Connect discovery at %s: %w", issuer, err)
	}
	return &OIDC{verifier: provider.Verifier(&oidc.Config{ClientID: audience})}, nil
}

// Verify checks a provider's token.
func (o *OIDC) Verify(ctx context.Context, token string) (Principal, error) {
	t, err := o.verifier.Verify(ctx, token)
	if err != nil {
		var expired *oidc.TokenExpiredError
		if errors.As(err, &expired) {
			return Principal{}, unauthenticated("the token has expired; get a new one")
		}
		return Principal{}, unauthenticated("the token is not valid: " + err.Error())
	}
	var c struct {
		Role   Role   `json:"role"`
		Agency string `json:"agency"`
	}
	if err := t.Claims(&c); err != nil {
		return Principal{}, unauthenticated("the token's claims could not be read")
	}
	return principal(t.Subject, c.Role, c.Agency)
}

// BearerToken extracts the token from an Authorization header value.
func BearerToken(header string) (string, error) {
	if header == "" {
		return "", unauthenticated("this endpoint needs Authorization: Bearer <token>; see the README for how to get one")
	}
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", unauthenticated("the Authorization header must be \"Bearer <token>\"")
	}
	return strings.TrimSpace(token), nil
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p (the API's authentication
// middleware puts the caller there).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal the request was authenticated as.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
