//! Shared `for_each` work (`reserve_jobs`): the jobs table of a shared
//! catalog, in which processes running the same `for_each` (N SLURM array
//! tasks of one script) claim combinations atomically.
//!
//! A job is one combination of one run description (`run_key`, the hash of
//! the `for_each` description) and is named by its call's cache key. It is
//! `pending`, `reserved` by a worker until its lease runs out (the worker
//! renews it while it runs, from a thread of its own), `done` (set in the
//! transaction that saves its outputs and lineage) or `failed` (with the
//! worker's host, pid and message). Leases use the server's clock, so
//! machines whose clocks disagree still agree on expiry. Claims are
//! `FOR UPDATE SKIP LOCKED`: two workers never claim one pending job, and a
//! job whose lease expired (its worker was killed, its node vanished) is
//! claimed again by another.

use super::sql::{args, Arg, Conn, Dialect};
use super::Database;
use crate::error::{Error, Result, ResultExt};
use std::sync::mpsc;
use std::time::Duration;

pub(crate) fn create_tables(conn: &Conn) -> Result<()> {
    conn.batch(
        "CREATE TABLE IF NOT EXISTS _scidb_jobs (
            run_key VARCHAR NOT NULL,
            job_key VARCHAR NOT NULL,
            function_name VARCHAR NOT NULL,
            position BIGINT NOT NULL,
            metadata VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            owner VARCHAR,
            host VARCHAR,
            pid BIGINT,
            lease_until TIMESTAMP,
            attempts BIGINT NOT NULL,
            message VARCHAR,
            updated_at TIMESTAMP NOT NULL,
            record_ids VARCHAR,
            PRIMARY KEY (run_key, job_key));
         CREATE TABLE IF NOT EXISTS _scidb_job_plans (
            run_key VARCHAR NOT NULL,
            plan_key VARCHAR NOT NULL,
            added_at TIMESTAMP NOT NULL,
            PRIMARY KEY (run_key, plan_key));",
    )
    .context("creating the jobs table")?;
    if conn.dialect() == Dialect::Postgres {
        // Claims look for a run's open jobs in run order. Catalogs made
        // before done jobs named their records get the column.
        conn.batch(
            "CREATE INDEX IF NOT EXISTS _scidb_jobs_open ON _scidb_jobs (run_key, status, position);
             ALTER TABLE _scidb_jobs ADD COLUMN IF NOT EXISTS record_ids VARCHAR;",
        )
        .context("indexing the jobs table")?;
    }
    Ok(())
}

/// Who claims jobs: one per `for_each` run in a process.
#[derive(Debug, Clone)]
pub struct Worker {
    /// Unique across machines and time: host, pid and a clock reading.
    pub token: String,
    pub host: String,
    pub pid: i64,
}

impl Worker {
    pub fn this_process() -> Worker {
        let host = super::payload::host_name();
        let pid = std::process::id() as i64;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Worker {
            token: format!("{host}:{pid}:{nanos}"),
            host,
            pid,
        }
    }
}

/// A job to add: its cache key, position in the run and metadata JSON.
pub struct NewJob<'a> {
    pub key: &'a str,
    pub position: usize,
    pub metadata_json: String,
}

/// What a job's row says, for a worker that did not run it.
#[derive(Debug, Clone)]
pub struct JobState {
    pub status: String,
    pub host: Option<String>,
    pub pid: Option<i64>,
    pub message: Option<String>,
    /// The metadata JSON of the combination the job is (its first with
    /// the call) and, once done, the records its outputs were saved as.
    pub metadata_json: String,
    pub record_ids: Option<Vec<String>>,
}

/// Jobs per UPDATE when they are marked done.
const JOBS_PER_UPDATE: usize = 1000;

impl Database {
    /// The state, for the jobs table: only a shared catalog has jobs.
    fn jobs_catalog(&self) -> Result<std::sync::MutexGuard<'_, super::Inner>> {
        let inner = self.lock();
        if inner.conn.dialect() == Dialect::Postgres {
            Ok(inner)
        } else {
            Err(Error::invalid(format!(
                "{} is a DuckDB file, which one process uses at a time; shared jobs \
                 (reserve_jobs) need a PostgreSQL catalog",
                self.path
            )))
        }
    }

    /// Adds the jobs of a run that are not in the table yet (another
    /// worker of the same run may have added them first). The first worker
    /// with a plan records it with its jobs, in one transaction; workers
    /// started later with the same plan find it and add nothing, so a
    /// job array's tasks do not each insert every job again.
    pub fn add_jobs(&self, run_key: &str, function_name: &str, jobs: &[NewJob<'_>]) -> Result<()> {
        let inner = self.jobs_catalog()?;
        let conn = &inner.conn;
        conn.batch("BEGIN").context("adding jobs")?;
        let result = add_plan_jobs(conn, run_key, function_name, jobs).and_then(|_| {
            conn.batch("COMMIT")?;
            Ok(())
        });
        if result.is_err() {
            let _ = conn.batch("ROLLBACK");
        }
        result.context("adding jobs")
    }

    /// Claims up to `max` jobs of a run that are pending or whose lease
    /// expired, in run order, for `lease`; returns their keys.
    /// Jobs in `skip` (another process's plan has them) are left alone.
    pub fn claim_jobs(
        &self,
        run_key: &str,
        worker: &Worker,
        lease: Duration,
        max: usize,
        skip: &[String],
    ) -> Result<Vec<String>> {
        let inner = self.jobs_catalog()?;
        let rows = inner
            .conn
            .query(
                // The CTE runs once: a subquery in IN could be rescanned and,
                // skipping what it locked, claim more than asked.
                "WITH picked AS (SELECT job_key FROM _scidb_jobs \
                   WHERE run_key = ? AND (status = 'pending' OR \
                     (status = 'reserved' AND lease_until < clock_timestamp())) \
                   AND NOT (job_key = ANY(CAST(? AS TEXT[]))) \
                   ORDER BY position LIMIT ? FOR UPDATE SKIP LOCKED) \
                 UPDATE _scidb_jobs j SET status = 'reserved', owner = ?, host = ?, pid = ?, \
                 lease_until = clock_timestamp() + make_interval(secs => ?), \
                 attempts = attempts + 1, updated_at = clock_timestamp() \
                 FROM picked WHERE j.run_key = ? AND j.job_key = picked.job_key \
                 RETURNING j.job_key, j.position",
                &[
                    Arg::from(run_key),
                    Arg::TextList(skip.to_vec()),
                    Arg::Int(max as i64),
                    Arg::from(worker.token.as_str()),
                    Arg::from(worker.host.as_str()),
                    Arg::Int(worker.pid),
                    Arg::Float(lease.as_secs_f64()),
                    Arg::from(run_key),
                ],
            )
            .context("claiming jobs")?;
        // In run order (RETURNING has none).
        let mut claimed: Vec<(i64, String)> = rows
            .iter()
            .map(|r| Ok((r.get(1)?, r.get(0)?)))
            .collect::<Result<_>>()?;
        claimed.sort();
        Ok(claimed.into_iter().map(|(_, k)| k).collect())
    }

    /// The jobs of a run that are pending or reserved (by anyone).
    pub fn open_jobs(&self, run_key: &str) -> Result<Vec<String>> {
        let inner = self.jobs_catalog()?;
        let rows = inner.conn.query(
            "SELECT job_key FROM _scidb_jobs WHERE run_key = ? \
             AND status IN ('pending', 'reserved')",
            args![run_key],
        )?;
        rows.iter().map(|r| r.get(0)).collect()
    }

    /// The state of every job of a run, by key.
    pub fn job_states(&self, run_key: &str) -> Result<std::collections::HashMap<String, JobState>> {
        let inner = self.jobs_catalog()?;
        let rows = inner.conn.query(
            "SELECT job_key, status, host, pid, message, metadata, record_ids \
             FROM _scidb_jobs WHERE run_key = ?",
            args![run_key],
        )?;
        rows.iter()
            .map(|r| {
                let ids: Option<String> = r.get(6)?;
                let record_ids = ids
                    .map(|j| serde_json::from_str::<Vec<String>>(&j))
                    .transpose()
                    .map_err(|e| Error::corrupt(format!("record ids of a job: {e}")))?;
                Ok((
                    r.get(0)?,
                    JobState {
                        status: r.get(1)?,
                        host: r.get(2)?,
                        pid: r.get(3)?,
                        message: r.get(4)?,
                        metadata_json: r.get(5)?,
                        record_ids,
                    },
                ))
            })
            .collect()
    }

    /// Records that a job failed, with the worker and the message.
    pub fn fail_job(&self, run_key: &str, key: &str, worker: &Worker, message: &str) -> Result<()> {
        let inner = self.jobs_catalog()?;
        inner
            .conn
            .execute(
                "UPDATE _scidb_jobs SET status = 'failed', owner = NULL, host = ?, pid = ?, \
                 message = ?, lease_until = NULL, updated_at = clock_timestamp() \
                 WHERE run_key = ? AND job_key = ? AND status <> 'done'",
                &[
                    Arg::from(worker.host.as_str()),
                    Arg::Int(worker.pid),
                    Arg::from(message),
                    Arg::from(run_key),
                    Arg::from(key),
                ],
            )
            .context("recording a failed job")?;
        Ok(())
    }

    /// Hands claims of this worker back: those named, or (None) all it
    /// has not finished (a run stopped early).
    pub fn release_jobs(
        &self,
        run_key: &str,
        worker: &Worker,
        keys: Option<&[String]>,
    ) -> Result<()> {
        let inner = self.jobs_catalog()?;
        let release = "UPDATE _scidb_jobs SET status = 'pending', owner = NULL, \
             lease_until = NULL, updated_at = clock_timestamp() \
             WHERE run_key = ? AND owner = ? AND status = 'reserved'";
        let Some(keys) = keys else {
            inner
                .conn
                .execute(release, args![run_key, worker.token.as_str()])
                .context("releasing jobs")?;
            return Ok(());
        };
        for k in keys {
            inner
                .conn
                .execute(
                    &format!("{release} AND job_key = ?"),
                    args![run_key, worker.token.as_str(), k.as_str()],
                )
                .context("releasing jobs")?;
        }
        Ok(())
    }

    /// Every job as JSON, newest runs first: a list of objects with
    /// `run_key`, `function`, `position`, `metadata`, `status`, `host`,
    /// `pid`, `attempts`, `lease_until`, `message`, `updated_at`. Empty
    /// on a DuckDB file.
    pub fn jobs_json(&self) -> Result<String> {
        let inner = self.lock();
        let rows = inner.conn.query(
            "SELECT run_key, function_name, position, metadata, status, host, pid, attempts, \
             CAST(lease_until AS VARCHAR), message, CAST(updated_at AS VARCHAR) \
             FROM _scidb_jobs ORDER BY run_key, position",
            &[],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let meta: String = r.get(3)?;
            out.push(serde_json::json!({
                "run_key": r.get::<String>(0)?,
                "function": r.get::<String>(1)?,
                "position": r.get::<i64>(2)?,
                "metadata": serde_json::from_str::<serde_json::Value>(&meta)
                    .map_err(|e| Error::corrupt(format!("metadata of a job: {e}")))?,
                "status": r.get::<String>(4)?,
                "host": r.get::<Option<String>>(5)?,
                "pid": r.get::<Option<i64>>(6)?,
                "attempts": r.get::<i64>(7)?,
                "lease_until": r.get::<Option<String>>(8)?,
                "message": r.get::<Option<String>>(9)?,
                "updated_at": r.get::<String>(10)?,
            }));
        }
        Ok(serde_json::Value::Array(out).to_string())
    }

    /// Deletes jobs (all, or those with `status`), so that the next run
    /// adds the combinations again: how failed jobs are retried. Returns
    /// how many were deleted.
    pub fn clear_jobs(&self, status: Option<&str>) -> Result<u64> {
        if let Some(s) = status {
            if !["pending", "reserved", "done", "failed"].contains(&s) {
                return Err(Error::invalid(format!(
                    "job status '{s}' is not one of pending, reserved, done, failed"
                )));
            }
        }
        let inner = self.lock();
        // Plans first: without its plan a run adds its missing jobs again
        // (a crash between the two deletes loses nothing).
        inner
            .conn
            .execute("DELETE FROM _scidb_job_plans", &[])
            .context("clearing job plans")?;
        inner
            .conn
            .execute(
                "DELETE FROM _scidb_jobs WHERE CAST(? AS VARCHAR) IS NULL OR status = ?",
                &[Arg::from(status), Arg::from(status)],
            )
            .context("clearing jobs")
    }

    /// Starts renewing this worker's leases every third of `lease`, on a
    /// connection of its own, until the renewer is dropped.
    pub fn lease_renewer(&self, worker: &Worker, lease: Duration) -> Result<LeaseRenewer> {
        let (config, shown) = self
            .reconnect
            .clone()
            .ok_or_else(|| Error::invalid("leases are renewed only on a PostgreSQL catalog"))?;
        let conn = Conn::postgres(&config, &shown)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let token = worker.token.clone();
        let thread = std::thread::Builder::new()
            .name("scidb-lease".into())
            .spawn(move || loop {
                match stopped.recv_timeout(lease / 3) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                // A failed renewal is retried next time; a lease that ran
                // out lets another worker take the job, which is safe.
                let _ = conn.execute(
                    "UPDATE _scidb_jobs SET lease_until = clock_timestamp() + \
                     make_interval(secs => ?) WHERE owner = ? AND status = 'reserved'",
                    &[Arg::Float(lease.as_secs_f64()), Arg::from(token.as_str())],
                );
            })
            .map_err(|e| Error::io(format!("starting the lease renewer: {e}")))?;
        Ok(LeaseRenewer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// Renews a worker's leases while it lives.
pub struct LeaseRenewer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for LeaseRenewer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The key of a plan: its jobs and their positions.
fn plan_key(jobs: &[NewJob<'_>]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"scidb:job-plan:v1\0");
    for j in jobs {
        h.update(&(j.position as u64).to_le_bytes());
        h.update(&(j.key.len() as u64).to_le_bytes());
        h.update(j.key.as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// Records a run's plan and, when no worker recorded it before, adds its
/// jobs. A second worker's insert of the same plan waits for the first's
/// transaction, so it sees the plan only once the jobs are there.
fn add_plan_jobs(
    conn: &Conn,
    run_key: &str,
    function_name: &str,
    jobs: &[NewJob<'_>],
) -> Result<()> {
    let first = conn.query(
        "INSERT INTO _scidb_job_plans (run_key, plan_key, added_at) \
         VALUES (?, ?, clock_timestamp()) ON CONFLICT DO NOTHING RETURNING run_key",
        args![run_key, plan_key(jobs).as_str()],
    )?;
    if first.is_empty() {
        return Ok(());
    }
    let rows: Vec<Vec<Arg<'_>>> = jobs
        .iter()
        .map(|j| {
            vec![
                Arg::from(run_key),
                Arg::from(j.key),
                Arg::from(function_name),
                Arg::Int(j.position as i64),
                Arg::from(j.metadata_json.as_str()),
            ]
        })
        .collect();
    conn.insert_values(
        "_scidb_jobs",
        &[
            "run_key",
            "job_key",
            "function_name",
            "position",
            "metadata",
            "status",
            "attempts",
            "updated_at",
        ],
        &[
            "?",
            "?",
            "?",
            "?",
            "?",
            "'pending'",
            "0",
            "clock_timestamp()",
        ],
        &rows,
        "ON CONFLICT DO NOTHING",
    )
}

/// Marks jobs done inside the transaction that saves their outputs, with
/// the records they were saved as (`(job key, record ids)`), so that other
/// workers report them without reading the records.
pub(crate) fn mark_done(
    conn: &Conn,
    run_key: &str,
    done: &[(&str, &[String])],
    worker: &Worker,
) -> Result<()> {
    for group in done.chunks(JOBS_PER_UPDATE) {
        let marks = vec!["(?, ?)"; group.len()].join(", ");
        let sql = format!(
            "UPDATE _scidb_jobs j SET status = 'done', owner = NULL, lease_until = NULL, \
             host = ?, pid = ?, message = NULL, record_ids = v.ids, \
             updated_at = clock_timestamp() \
             FROM (VALUES {marks}) AS v(job_key, ids) \
             WHERE j.run_key = ? AND j.job_key = v.job_key"
        );
        let mut a = vec![Arg::from(worker.host.as_str()), Arg::Int(worker.pid)];
        for (key, ids) in group {
            a.push(Arg::from(*key));
            a.push(Arg::Text(
                serde_json::Value::from(ids.to_vec()).to_string().into(),
            ));
        }
        a.push(Arg::from(run_key));
        conn.execute(&sql, &a).context("marking jobs done")?;
    }
    Ok(())
}
