package credentials

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ydpgen/ydpgen/model"
)

// Kind is what a Secret holds: one of the spec's credential types, or one of
// the Secrets the Airflow chart reads, which have fixed keys of their own.
type Kind string

// The credential types a spec can declare.
const (
	UserPassword    Kind = "USER_PASSWORD"
	APIToken        Kind = "API_TOKEN"
	APIKeyPair      Kind = "API_KEY_PAIR"
	PrivateKeyAuth  Kind = "PRIVATE_KEY_AUTH"
	MTLSCertWithKey Kind = "MTLS_CERT_WITH_KEY"
	CACertBundle    Kind = "CA_CERT_BUNDLE"
	GitSync         Kind = "GIT_SYNC"
	SSHKey          Kind = "SSH_KEY"
	Registry        Kind = "REGISTRY"
)

// The Secrets of the Airflow chart. A spec never declares these; every
// environment has the first four, Celery environments the broker URL (and
// the Redis password with the built-in Redis), and environments with
// PgBouncer its configuration and the exporter's connection.
const (
	FernetKey          Kind = "AIRFLOW_FERNET_KEY"
	APISecretKey       Kind = "AIRFLOW_API_SECRET_KEY"
	JWTSecret          Kind = "AIRFLOW_JWT_SECRET"
	MetadataConnection Kind = "AIRFLOW_METADATA_CONNECTION"
	BrokerURL          Kind = "AIRFLOW_BROKER_URL"
	RedisPassword      Kind = "AIRFLOW_REDIS_PASSWORD"
	PgBouncerConfig    Kind = "AIRFLOW_PGBOUNCER_CONFIG"
	PgBouncerStats     Kind = "AIRFLOW_PGBOUNCER_STATS"
	// TLS is an ingress host's certificate and key, which a person
	// provides or cert-manager issues.
	TLS Kind = "TLS"
)

// SpecKinds are the credential types a spec may write, in the schema's order.
func SpecKinds() []Kind {
	return []Kind{UserPassword, APIToken, APIKeyPair, PrivateKeyAuth, MTLSCertWithKey, CACertBundle, GitSync, SSHKey, Registry}
}

// Secret types of the Secrets ydpgen describes.
const (
	TypeOpaque           = "Opaque"
	TypeDockerConfigJSON = "kubernetes.io/dockerconfigjson"
	TypeTLS              = "kubernetes.io/tls"
)

// DockerConfigKey is the one key of a kubernetes.io/dockerconfigjson Secret.
const DockerConfigKey = ".dockerconfigjson"

// UppercaseTokenSince is the first DataSurface release that reads an
// API_TOKEN credential from the key TOKEN.
//
// Assumption: releases before 1.0 read it from lowercase `token`, 1.x from
// TOKEN. DataSurface's published 1.x install guides and its credential-store
// documentation use TOKEN; the lowercase key only appears in material from
// before 1.0, and no release note names the exact version of the change, so
// the boundary is the major version.
const UppercaseTokenSince = "1.0.0"

// Key is one key of a Secret.
type Key struct {
	Name string
	// Optional keys may hold an empty value (an unencrypted private key has
	// no passphrase); the key itself is still expected.
	Optional bool
	// File marks values that are a file's content (PEM, a docker config),
	// created with --from-file rather than typed in.
	File bool
	// Placeholder stands for the value in instructions: <password>, or a
	// file path for file keys. Never a value.
	Placeholder string
	// Random, when set, says how to make a fresh value: the key is
	// generated once, never typed.
	Random *Random
}

// Random is how a generated key's value is made.
type Random struct {
	// Bytes of randomness.
	Bytes int
	// Encoding of those bytes in the value: base64url (with padding, what
	// a Fernet key is) or hex.
	Encoding string
}

// The encodings of Random values.
const (
	Base64URL = "base64url"
	Hex       = "hex"
)

// Layout is the Secret type and keys of one kind of Secret.
type Layout struct {
	Type string
	Keys []Key
}

// KeyNames returns the names of the keys, in order.
func (l Layout) KeyNames() []string {
	out := make([]string, len(l.Keys))
	for i, k := range l.Keys {
		out[i] = k.Name
	}
	return out
}

// Has reports whether the layout has a key called name.
func (l Layout) Has(name string) bool {
	for _, k := range l.Keys {
		if k.Name == name {
			return true
		}
	}
	return false
}

// LayoutOf returns the Secret type and keys for a kind of Secret read by
// DataSurface release version (MAJOR.MINOR.PATCH).
func LayoutOf(kind Kind, version string) (Layout, error) {
	opaque := func(keys ...Key) Layout { return Layout{Type: TypeOpaque, Keys: keys} }
	switch kind {
	case UserPassword:
		return opaque(Key{Name: "USER", Placeholder: "<user>"}, Key{Name: "PASSWORD", Placeholder: "<password>"}), nil
	case APIToken:
		older, err := versionBefore(version, UppercaseTokenSince)
		if err != nil {
			return Layout{}, err
		}
		if older {
			return opaque(Key{Name: "token", Placeholder: "<token>"}), nil
		}
		return opaque(Key{Name: "TOKEN", Placeholder: "<token>"}), nil
	case APIKeyPair:
		return opaque(Key{Name: "API_KEY", Placeholder: "<api-key>"}, Key{Name: "API_SECRET", Placeholder: "<api-secret>"}), nil
	case PrivateKeyAuth:
		return opaque(
			Key{Name: "USER", Placeholder: "<user>"},
			Key{Name: "PRIVATE_KEY", File: true, Placeholder: "<path/to/private-key.pem>"},
			Key{Name: "PASSPHRASE", Optional: true, Placeholder: "<passphrase, empty for an unencrypted key>"},
		), nil
	case MTLSCertWithKey:
		return opaque(
			Key{Name: "PUBLIC_CERT", File: true, Placeholder: "<path/to/client-cert.pem>"},
			Key{Name: "PRIVATE_KEY", File: true, Placeholder: "<path/to/client-key.pem>"},
		), nil
	case CACertBundle:
		return opaque(Key{Name: "CA_CERT", File: true, Placeholder: "<path/to/ca-bundle.pem>"}), nil
	case GitSync:
		// The chart's git-sync reads v3 (GIT_SYNC_) and v4 (GITSYNC_)
		// variables from the one Secret; it has no key-name setting, so all
		// four must be there.
		return opaque(
			Key{Name: "GIT_SYNC_USERNAME", Placeholder: "<username>"},
			Key{Name: "GIT_SYNC_PASSWORD", Placeholder: "<token>"},
			Key{Name: "GITSYNC_USERNAME", Placeholder: "<username>"},
			Key{Name: "GITSYNC_PASSWORD", Placeholder: "<token>"},
		), nil
	case SSHKey:
		// The Airflow chart's git-sync reads the key from gitSshKey; the
		// host keys are in the spec (knownHosts), not in the Secret.
		return opaque(Key{Name: "gitSshKey", File: true, Placeholder: "<path/to/ssh-private-key>"}), nil
	case TLS:
		return Layout{Type: TypeTLS, Keys: []Key{
			{Name: "tls.crt", File: true, Placeholder: "<path/to/certificate-chain.pem>"},
			{Name: "tls.key", File: true, Placeholder: "<path/to/private-key.pem>"},
		}}, nil
	case Registry:
		return Layout{Type: TypeDockerConfigJSON, Keys: []Key{{Name: DockerConfigKey, File: true, Placeholder: "<path/to/config.json>"}}}, nil
	case FernetKey:
		// A Fernet key is 32 random bytes in URL-safe base64.
		return opaque(Key{Name: "fernet-key", Placeholder: "<fernet-key>", Random: &Random{Bytes: 32, Encoding: Base64URL}}), nil
	case APISecretKey:
		return opaque(Key{Name: "api-secret-key", Placeholder: "<api-secret-key>", Random: &Random{Bytes: 32, Encoding: Hex}}), nil
	case JWTSecret:
		return opaque(Key{Name: "jwt-secret", Placeholder: "<jwt-secret>", Random: &Random{Bytes: 32, Encoding: Hex}}), nil
	case MetadataConnection:
		return opaque(Key{Name: "connection", Placeholder: "<sqlalchemy-url>"}), nil
	case BrokerURL:
		return opaque(Key{Name: "connection", Placeholder: "<redis-url>"}), nil
	case RedisPassword:
		return opaque(Key{Name: "password", Placeholder: "<redis-password>", Random: &Random{Bytes: 24, Encoding: Hex}}), nil
	case PgBouncerConfig:
		// The chart builds these two files from data.metadataConnection,
		// which a connection Secret leaves at its defaults; they are
		// written by hand instead.
		return opaque(
			Key{Name: "pgbouncer.ini", File: true, Placeholder: "<path/to/pgbouncer.ini>"},
			Key{Name: "users.txt", File: true, Placeholder: "<path/to/users.txt>"},
		), nil
	case PgBouncerStats:
		return opaque(Key{Name: "connection", Placeholder: "<pgbouncer-stats-url>"}), nil
	}
	return Layout{}, fmt.Errorf("unknown credential type %q", kind)
}

// KindOf converts a spec credential type.
func KindOf(t model.CredentialType) Kind { return Kind(t) }

// versionBefore reports whether MAJOR.MINOR.PATCH version a is older than b.
func versionBefore(a, b string) (bool, error) {
	pa, err := parseVersion(a)
	if err != nil {
		return false, err
	}
	pb, err := parseVersion(b)
	if err != nil {
		return false, err
	}
	for i := range pa {
		if pa[i] != pb[i] {
			return pa[i] < pb[i], nil
		}
	}
	return false, nil
}

func parseVersion(v string) ([3]int, error) {
	var out [3]int
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, fmt.Errorf("DataSurface version %q is not MAJOR.MINOR.PATCH", v)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, fmt.Errorf("DataSurface version %q is not MAJOR.MINOR.PATCH", v)
		}
		out[i] = n
	}
	return out, nil
}
