-- +goose Up
-- The API's rate limits, shared by every API process (issue 20): one row
-- per limit, client and fixed window, counted with an upsert. Before this
-- each process counted on its own, so N replicas behind a load balancer
-- allowed N times the limit, and a restart forgot every count.
--
-- UNLOGGED: counters of the current minute are not worth the write-ahead
-- log; after a crash PostgreSQL empties the table, which only forgives the
-- clients of that minute. Old windows are deleted by the API
-- (store.PurgeRateWindows).
CREATE UNLOGGED TABLE rate_limit_windows (
    bucket       text        NOT NULL, -- which limit: "lookup", "submit-ip", …
    client       text        NOT NULL, -- the client address or token subject
    window_start timestamptz NOT NULL, -- start of the fixed window
    hits         integer     NOT NULL,
    PRIMARY KEY (bucket, client, window_start)
);
CREATE INDEX rate_limit_windows_start ON rate_limit_windows (window_start);

-- +goose Down
DROP TABLE rate_limit_windows;
