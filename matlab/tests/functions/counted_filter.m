function out = counted_filter(signal, gain)
% Scales a signal and counts its runs in the global SCIDB_TEST_RUNS.
    global SCIDB_TEST_RUNS
    if ~isfield(SCIDB_TEST_RUNS, 'counted_filter')
        SCIDB_TEST_RUNS.counted_filter = 0;
    end
    SCIDB_TEST_RUNS.counted_filter = SCIDB_TEST_RUNS.counted_filter + 1;
    out = signal * gain;
end
