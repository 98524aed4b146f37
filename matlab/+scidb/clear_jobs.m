function n = clear_jobs(status)
%CLEAR_JOBS Delete jobs of shared for_each runs, so they run again.
%   N = scidb.clear_jobs('failed') deletes the failed jobs ('reserve_jobs',
%   true on a PostgreSQL catalog) and returns how many were deleted; the
%   next for_each with 'reserve_jobs', true adds those combinations again:
%   how failed combinations are retried. STATUS is 'pending', 'reserved',
%   'done' or 'failed'; scidb.clear_jobs() deletes every job. See
%   scidb.jobs and docs/cluster.md.
    if nargin < 1
        status = [];
    end
    n = scidb_mex('clear_jobs', status);
end
