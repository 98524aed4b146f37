function [peak, where] = counted_max(signal)
% The largest value and its index; counts its runs in SCIDB_TEST_RUNS.
    global SCIDB_TEST_RUNS
    if ~isfield(SCIDB_TEST_RUNS, 'counted_max')
        SCIDB_TEST_RUNS.counted_max = 0;
    end
    SCIDB_TEST_RUNS.counted_max = SCIDB_TEST_RUNS.counted_max + 1;
    [peak, where] = max(signal);
end
