function tests = test_examples
%TEST_EXAMPLES The runnable examples in examples/matlab run to completion.
    tests = {@quickstart_runs, @lineage_runs};
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
