function ok = run_tests(pattern)
%RUN_TESTS Run the scidb MATLAB/Octave test suite.
%   OK = RUN_TESTS() runs every test in the test_*.m files of this folder
%   and prints one line per failure and a final "N passed, N failed" line.
%   RUN_TESTS(PATTERN) runs only the files matching PATTERN (e.g.
%   'test_values*'). Each test file returns a cell array of handles to its
%   local test functions; a test passes when it returns without error.
    if nargin < 1
        pattern = 'test_*.m';
    end
    here = fileparts(mfilename('fullpath'));
    addpath(here);
    addpath(fullfile(here, 'types'));
    addpath(fullfile(here, 'functions'));
    addpath(fileparts(here));   % matlab/: +scidb and the MEX
    files = dir(fullfile(here, pattern));
    passed = 0;
    failed = 0;
    for f = 1:numel(files)
        [~, name] = fileparts(files(f).name);
        tests = feval(name);
        for t = 1:numel(tests)
            label = sprintf('%s/%s', name, func2str(tests{t}));
            if ~isempty(getenv('SCIDB_TEST_VERBOSE'))
                fprintf('running %s\n', label);
            end
            try
                tests{t}();
                passed = passed + 1;
            catch err
                failed = failed + 1;
                fprintf('FAILED %s: %s\n', label, err.message);
                for s = 1:min(numel(err.stack), 3)
                    fprintf('    at %s line %d\n', err.stack(s).name, err.stack(s).line);
                end
            end
            % A failed test may leave its database open; the next opens its own.
            scidb.close_database();
        end
    end
    fprintf('%d passed, %d failed\n', passed, failed);
    ok = failed == 0;
end
