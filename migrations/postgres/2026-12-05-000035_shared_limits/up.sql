-- Limits shared by every instance on this database: the correction-report rate limit and the
-- login throttle (src/http/ratelimit.rs, src/auth/throttle.rs). One row per counter, under a
-- keyed hash of what it counts (never an email or an address in clear). Times are microseconds
-- since the Unix epoch from the servers' clock, never the database's `now()`, so that every
-- instance (and a test that moves its clock) agrees on them.
--
-- UNLOGGED: the counters are as disposable as the in-process ones they replace (a crash or a
-- failover forgets them, which lets nobody in), and writing them skips the WAL.
CREATE UNLOGGED TABLE shared_limits (
    -- A keyed hash of the counter's kind and subject.
    key         BYTEA PRIMARY KEY NOT NULL,
    -- Login failures counted; for a rate limit, 1 when its last request was let through.
    count       INTEGER NOT NULL,
    -- A rate limit's theoretical arrival time (GCRA); a login counter's last failure, or the
    -- last successful login of a known (account, client).
    at_us       BIGINT NOT NULL,
    -- A login counter's backoff: no attempt before this.
    until_us    BIGINT NOT NULL,
    -- After this the row says nothing a missing row would not, and is pruned.
    expires_us  BIGINT NOT NULL
);

CREATE INDEX shared_limits_expires_idx ON shared_limits (expires_us);

-- When a counter's next attempt may come, with `p_count` failures counted: past `p_allowance`,
-- `p_backoff` doubled with each further failure, at most `p_backoff_max`; below it, `p_until`
-- as it stood.
CREATE FUNCTION login_backoff_until(
    p_count INTEGER, p_allowance INTEGER, p_now BIGINT, p_until BIGINT,
    p_backoff BIGINT, p_backoff_max BIGINT)
RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_count >= p_allowance
        THEN p_now + LEAST(
            p_backoff::NUMERIC * power(2::NUMERIC, LEAST(p_count - p_allowance, 30)),
            p_backoff_max::NUMERIC)::BIGINT
        ELSE p_until END;
$$;

-- One more failure on the counter under `p_key`, in one atomic upsert. A counter quiet for
-- `p_window` is forgotten: it starts again from one. (PL/pgSQL rather than SQL here and below:
-- it keeps its statements' plans for the session, where a SQL function is planned per call.)
CREATE FUNCTION login_counter_add(
    p_key BYTEA, p_now BIGINT, p_window BIGINT, p_allowance INTEGER,
    p_backoff BIGINT, p_backoff_max BIGINT)
RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO shared_limits AS l (key, count, at_us, until_us, expires_us)
    VALUES (p_key, 1, p_now,
            login_backoff_until(1, p_allowance, p_now, p_now, p_backoff, p_backoff_max),
            p_now + p_window)
    ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN l.at_us > p_now - p_window THEN l.count + 1 ELSE 1 END,
        at_us = p_now,
        until_us = CASE WHEN l.at_us > p_now - p_window
            THEN login_backoff_until(l.count + 1, p_allowance, p_now, l.until_us,
                                     p_backoff, p_backoff_max)
            ELSE login_backoff_until(1, p_allowance, p_now, p_now, p_backoff, p_backoff_max)
            END,
        expires_us = p_now + p_window;
END $$;

-- Takes one failure back from the counter under `p_key` (if it exists); under the allowance
-- again, no wait.
CREATE FUNCTION login_counter_take_back(p_key BYTEA, p_allowance INTEGER)
RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shared_limits
    SET count = GREATEST(count - 1, 0),
        until_us = CASE WHEN GREATEST(count - 1, 0) < p_allowance THEN at_us ELSE until_us END
    WHERE key = p_key;
END $$;

-- Decides whether a login attempt may go ahead now, and if so counts it as a failure on its
-- three counters (account and client, client, account). `scope` is 0 when it may, else which
-- counter holds it back (1, 2, 3 in that order) for `wait_us`; `known` says whether the client
-- logged in to the account lately. Parallel attempts on one account from one client take turns
-- (a lock on the pair, held until the call ends, since its row may not exist yet), so that they
-- cannot all slip under its allowance; the counters that exist are locked too, in one order. A
-- counter quiet for `p_window` is forgotten. A refused attempt writes nothing.
CREATE FUNCTION login_attempt_begin(
    p_pair BYTEA, p_client BYTEA, p_account BYTEA, p_known BYTEA, p_now BIGINT, p_window BIGINT,
    p_per_pair INTEGER, p_per_client INTEGER, p_per_account INTEGER,
    p_backoff BIGINT, p_backoff_max BIGINT,
    OUT scope SMALLINT, OUT wait_us BIGINT, OUT known BOOLEAN)
LANGUAGE plpgsql AS $$
DECLARE
    pair shared_limits;
    client shared_limits;
    account shared_limits;
    since BIGINT := p_now - p_window;
BEGIN
    scope := 0;
    wait_us := 0;
    -- Class 23 (the issue) keeps these locks apart from the server's other advisory locks.
    PERFORM pg_advisory_xact_lock(23, ('x' || encode(substring(p_pair FROM 1 FOR 4), 'hex'))::BIT(32)::INTEGER);
    known := EXISTS (SELECT 1 FROM shared_limits WHERE key = p_known AND expires_us > p_now);
    -- A missing row reads as NULLs, and every comparison below with it as not true.
    SELECT * INTO pair FROM shared_limits WHERE key = p_pair FOR UPDATE;
    SELECT * INTO client FROM shared_limits WHERE key = p_client FOR UPDATE;
    SELECT * INTO account FROM shared_limits WHERE key = p_account FOR UPDATE;
    IF pair.at_us > since AND pair.until_us > p_now THEN
        scope := 1;
        wait_us := pair.until_us - p_now;
    ELSIF client.at_us > since AND client.until_us > p_now THEN
        scope := 2;
        wait_us := client.until_us - p_now;
    ELSIF NOT known AND pair.at_us > since AND pair.count > 0
          AND account.at_us > since AND account.until_us > p_now THEN
        -- The account's own backoff holds back only clients that have failed on it.
        scope := 3;
        wait_us := account.until_us - p_now;
    ELSE
        PERFORM login_counter_add(p_pair, p_now, p_window, p_per_pair, p_backoff, p_backoff_max);
        PERFORM login_counter_add(p_client, p_now, p_window, p_per_client, p_backoff, p_backoff_max);
        PERFORM login_counter_add(p_account, p_now, p_window, p_per_account, p_backoff, p_backoff_max);
    END IF;
END $$;

-- Ends an attempt that `login_attempt_begin` let through. Abandoned (no password was checked):
-- each counter takes it back. Succeeded: the (account, client) counter is cleared, the others
-- take it back, and the client is known to the account until `p_known_until`.
CREATE FUNCTION login_attempt_end(
    p_pair BYTEA, p_client BYTEA, p_account BYTEA, p_known BYTEA, p_now BIGINT,
    p_succeeded BOOLEAN, p_known_until BIGINT,
    p_per_pair INTEGER, p_per_client INTEGER, p_per_account INTEGER)
RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF p_succeeded THEN
        DELETE FROM shared_limits WHERE key = p_pair;
    ELSE
        PERFORM login_counter_take_back(p_pair, p_per_pair);
    END IF;
    PERFORM login_counter_take_back(p_client, p_per_client);
    PERFORM login_counter_take_back(p_account, p_per_account);
    IF p_succeeded THEN
        INSERT INTO shared_limits (key, count, at_us, until_us, expires_us)
        VALUES (p_known, 0, p_now, p_now, p_known_until)
        ON CONFLICT (key) DO UPDATE SET at_us = p_now, expires_us = p_known_until;
    END IF;
END $$;
