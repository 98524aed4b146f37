function tests = test_cross_language()
%TEST_CROSS_LANGUAGE Values saved in Python load in Octave and the reverse,
%with equal values, classes/dtypes, shapes and content hashes. Runs the
%Python half (cross/python_side.py) with $SCIDB_PYTHON (default python3).
    tests = {@python_to_octave, @octave_to_python};
end

function run_python(action, path)
    python = getenv('SCIDB_PYTHON');
    if isempty(python)
        python = 'python3';
    end
    script = fullfile(fileparts(mfilename('fullpath')), 'cross', 'python_side.py');
    [status, output] = system(sprintf('"%s" "%s" %s "%s" 2>&1', python, script, action, path));
    if status ~= 0
        error('python_side.py %s failed (%d):\n%s', action, status, output);
    end
end

function path = temp_path()
    folder = tempname();
    mkdir(folder);
    path = fullfile(folder, 'cross.duckdb');
end

function python_to_octave()
    addpath(fullfile(fileparts(mfilename('fullpath')), 'cross'));
    path = temp_path();
    run_python('save', path);
    failures = octave_side('check', path);
    if ~isempty(failures)
        error('%d cases differ:\n  %s', numel(failures), strjoin(failures, sprintf('\n  ')));
    end
end

function octave_to_python()
    addpath(fullfile(fileparts(mfilename('fullpath')), 'cross'));
    path = temp_path();
    octave_side('save', path);
    run_python('check', path);
end
