package store

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// Counts is the PostgreSQL work a Store asked for since it was opened:
// transactions (each explicit BEGIN, and each statement or batch sent
// outside one, which PostgreSQL runs as a transaction of its own) and
// statements (every query, excluding BEGIN, COMMIT and ROLLBACK). The
// performance tests and docs/PERFORMANCE.md count them per dossier: unlike
// pg_stat_database they belong to one Store, so a test's own reads and
// other tests on the same database are not in them.
type Counts struct {
	Transactions int64
	Statements   int64
}

// Sub is c minus an earlier reading.
func (c Counts) Sub(earlier Counts) Counts {
	return Counts{Transactions: c.Transactions - earlier.Transactions, Statements: c.Statements - earlier.Statements}
}

// Counts reads the counters.
func (s *Store) Counts() Counts {
	return Counts{Transactions: s.counter.tx.Load(), Statements: s.counter.stmts.Load()}
}

// counter is the connections' pgx tracer behind Counts: two atomic
// additions per statement.
type counter struct {
	tx, stmts atomic.Int64
}

// idle reports whether conn is outside a transaction ('I' in the
// ReadyForQuery status PostgreSQL sent last).
func idle(conn *pgx.Conn) bool { return conn.PgConn().TxStatus() == 'I' }

// TraceQueryStart counts one statement.
func (c *counter) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	sql := strings.TrimSpace(data.SQL)
	word, _, _ := strings.Cut(sql, " ")
	switch strings.ToLower(word) {
	case "begin":
		c.tx.Add(1)
	case "commit", "rollback":
	default:
		c.stmts.Add(1)
		if idle(conn) {
			c.tx.Add(1)
		}
	}
	return ctx
}

// TraceQueryEnd does nothing.
func (c *counter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart counts a batch sent outside a transaction as one (pgx
// sends it as one implicit transaction).
func (c *counter) TraceBatchStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	if idle(conn) {
		c.tx.Add(1)
	}
	return ctx
}

// TraceBatchQuery counts a batch's statement.
func (c *counter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.stmts.Add(1)
}

// TraceBatchEnd does nothing.
func (c *counter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart counts a COPY.
func (c *counter) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	c.stmts.Add(1)
	if idle(conn) {
		c.tx.Add(1)
	}
	return ctx
}

// TraceCopyFromEnd does nothing.
func (c *counter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// Add is c plus d.
func (c Counts) Add(d Counts) Counts {
	return Counts{Transactions: c.Transactions + d.Transactions, Statements: c.Statements + d.Statements}
}

// CountEvents counts the control-sheet events with the given action among
// the dossiers named (the deadline storm of `make bench` waits on it).
func (s *Store) CountEvents(ctx context.Context, codes []string, action string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM dossier_events WHERE dossier_code = ANY($1) AND action = $2`,
		codes, action).Scan(&n)
	return n, err
}

// CountNotifications counts the notices queued for the dossiers named.
func (s *Store) CountNotifications(ctx context.Context, codes []string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE dossier_code = ANY($1)`, codes).Scan(&n)
	return n, err
}
