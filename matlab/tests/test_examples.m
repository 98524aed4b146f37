function tests = test_examples
%TEST_EXAMPLES The runnable examples in examples/matlab run to completion.
    tests = {@quickstart_runs};
end

function quickstart_runs()
    here = fileparts(mfilename('fullpath'));
    script = fullfile(here, '..', '..', 'examples', 'matlab', 'quickstart.m');
    output = evalc('run(script)');
    assert(~isempty(strfind(output, 'versions of subject 1 / baseline')), ...
           'quickstart printed:\n%s', output);
end
