function j = jobs()
%JOBS The jobs of shared for_each runs ('reserve_jobs', true on a
%   PostgreSQL catalog), as a struct array with fields run_key, function,
%   position, metadata, status ('pending', 'reserved', 'done', 'failed'),
%   host, pid, attempts, lease_until, message and updated_at; empty on a
%   DuckDB file. scidb.clear_jobs deletes them. See docs/cluster.md.
    j = jsondecode(scidb_mex('jobs'));
    if isempty(j)
        j = struct([]);
    end
end
