function tests = test_examples
%TEST_EXAMPLES The runnable examples in examples/matlab run to completion
%and print what they promise.
    tests = {@quickstart_runs, @lineage_runs, @pipeline_runs};
end

function quickstart_runs()
    expect_output('quickstart.m', {'versions of subject 1 / baseline'});
end

function lineage_runs()
    expect_output('lineage.m', {'run 2: bandpass_filter cached, compute_max cached', ...
                                'constants: low_hz=20, high_hz=450'});
end

function pipeline_runs()
    expect_output('pipeline.m', ...
                  {'for_each extract_step_length: 30 combinations: 30 ran', ...
                   'FilteredForce records: 30 with smoothing 0.2, 30 with smoothing 0.3', ...
                   'for_each extract_step_length: 30 combinations: 0 ran, 30 cached', ...
                   'MeanStepLength lineage: compute_mean <- extract_step_length <- RawKinematicData'});
end

function expect_output(name, expected)
    % Runs examples/matlab/NAME and checks its output holds each expected text.
    here = fileparts(mfilename('fullpath'));
    script = fullfile(here, '..', '..', 'examples', 'matlab', name);
    saved_path = path();
    restore = onCleanup(@() path(saved_path));   % the example adds its folders
    output = evalc('run(script)');
    for i = 1:numel(expected)
        assert(~isempty(strfind(output, expected{i})), '%s printed:\n%s', name, output);
    end
end
