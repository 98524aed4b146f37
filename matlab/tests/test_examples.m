function tests = test_examples
%TEST_EXAMPLES The runnable examples in examples/matlab run to completion.
    tests = {@quickstart_runs, @lineage_runs, @pipeline_runs};
end

function quickstart_runs()
    here = fileparts(mfilename('fullpath'));
    script = fullfile(here, '..', '..', 'examples', 'matlab', 'quickstart.m');
    saved_path = path();
    restore = onCleanup(@() path(saved_path));   % the example adds its folder
    output = evalc('run(script)');
    assert(~isempty(strfind(output, 'versions of subject 1 / baseline')), ...
           'quickstart printed:\n%s', output);
end

function lineage_runs()
    here = fileparts(mfilename('fullpath'));
    script = fullfile(here, '..', '..', 'examples', 'matlab', 'lineage.m');
    saved_path = path();
    restore = onCleanup(@() path(saved_path));   % the example adds its folder
    output = evalc('run(script)');
    assert(~isempty(strfind(output, 'run 2: bandpass_filter cached, compute_max cached')), ...
           'lineage.m printed:\n%s', output);
    assert(~isempty(strfind(output, 'constants: low_hz=20, high_hz=450')), ...
           'lineage.m printed:\n%s', output);
end

function pipeline_runs()
    here = fileparts(mfilename('fullpath'));
    script = fullfile(here, '..', '..', 'examples', 'matlab', 'pipeline.m');
    saved_path = path();
    restore = onCleanup(@() path(saved_path));
    output = evalc('run(script)');
    expected = {'for_each extract_step_length: 30 combinations: 30 ran', ...
                'FilteredForce records: 30 with smoothing 0.2, 30 with smoothing 0.3', ...
                'for_each extract_step_length: 30 combinations: 0 ran, 30 cached', ...
                'MeanStepLength lineage: compute_mean <- extract_step_length <- RawKinematicData'};
    for i = 1:numel(expected)
        assert(~isempty(strfind(output, expected{i})), 'pipeline.m printed:\n%s', output);
    end
end
