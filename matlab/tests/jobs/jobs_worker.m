function jobs_worker(url, data, lease)
%JOBS_WORKER One Octave worker of the shared-jobs tests: the for_each of
%   test_octave_jobs.py's workers, with 'reserve_jobs', true.
    scidb.configure_database(url, {'subject', 'trial'}, 'data_path', data);
    scidb.for_each(@split_value, struct('x', Raw()), {Doubled(), Negated()}, ...
                   'reserve_jobs', true, 'lease_seconds', lease, 'quiet', true, ...
                   'subject', [], 'trial', []);
end
