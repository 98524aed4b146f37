function n = counted_runs(name)
%COUNTED_RUNS How many times the counted test function NAME ran since reset_runs.
    global SCIDB_TEST_RUNS
    n = SCIDB_TEST_RUNS.(name);
end
