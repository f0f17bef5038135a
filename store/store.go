// Package store is motcua's PostgreSQL: migrations, the procedure catalog,
// the dossier read model, the control sheet, idempotency keys, payments and
// shipments. All SQL of the application lives in this package.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/motcua/motcua/dossier"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the application's database.
type Store struct {
	pool    *pgxpool.Pool
	counter *counter
}

// Open connects to PostgreSQL at url and checks the connection.
func Open(ctx context.Context, url string) (*Store, error) { return open(ctx, url, false) }

// DefaultStatementTimeout is the statement_timeout of the application's
// connections (milliseconds) unless DATABASE_URL sets one.
const DefaultStatementTimeout = "15000"

func open(ctx context.Context, url string, lazy bool) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse DATABASE_URL: %w", err)
	}
	// A database that does not answer fails a connection attempt within
	// seconds, not at the request's deadline.
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	// No query of the application runs for seconds (docs/PERFORMANCE.md:
	// the slowest report is under 0.5 s at a million dossiers); one that
	// does — a missing index, a lock held by hand — is cancelled rather
	// than holding a connection of the pool for good. The URL may set
	// another (…?statement_timeout=60000); bulk seeding lifts it.
	if _, set := cfg.ConnConfig.RuntimeParams["statement_timeout"]; !set {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = DefaultStatementTimeout
	}
	c := &counter{}
	cfg.ConnConfig.Tracer = c
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	if lazy {
		return &Store{pool: pool, counter: c}, nil
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return &Store{pool: pool, counter: c}, nil
}

// OpenLazy is Open without waiting for the database: the API starts while
// PostgreSQL is down and answers 503 until it is back.
func OpenLazy(ctx context.Context, url string) (*Store, error) { return open(ctx, url, true) }

// Close releases the connections.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Migrate applies every embedded migration not yet applied, in order. It is
// safe to run at every start and from several processes at once (goose takes
// a session lock).
func Migrate(ctx context.Context, url string, log *slog.Logger) error {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("store: parse DATABASE_URL: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	return migrate(ctx, db, log)
}

func migrate(ctx context.Context, db *sql.DB, log *slog.Logger) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, r := range results {
		log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	return nil
}

// notFound maps pgx.ErrNoRows to an ENotFound application error.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return dossier.Errorf(dossier.ENotFound, format, args...)
	}
	return err
}

// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
