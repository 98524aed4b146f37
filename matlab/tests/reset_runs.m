function reset_runs()
%RESET_RUNS Zero the run counters the counted test functions keep in the
%global SCIDB_TEST_RUNS (see functions/); read them with counted_runs(NAME).
    global SCIDB_TEST_RUNS
    SCIDB_TEST_RUNS = struct('counted_filter', 0, 'counted_max', 0, 'filter_data', 0);
end
