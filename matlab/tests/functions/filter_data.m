function filtered = filter_data(values, smoothing)
% A moving average whose window grows with SMOOTHING (the seed's
% filter_data); counts its runs in the global SCIDB_TEST_RUNS.
    global SCIDB_TEST_RUNS
    if ~isfield(SCIDB_TEST_RUNS, 'filter_data')
        SCIDB_TEST_RUNS.filter_data = 0;
    end
    SCIDB_TEST_RUNS.filter_data = SCIDB_TEST_RUNS.filter_data + 1;
    width = max(1, round(smoothing * 10));
    filtered = conv(values(:), ones(width, 1) / width, 'same');
end
