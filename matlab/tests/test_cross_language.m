function tests = test_cross_language()
%TEST_CROSS_LANGUAGE Values saved in Python load in Octave and the reverse,
%with equal values, classes/dtypes, shapes and content hashes. Runs the
%Python half (cross/python_side.py) with $SCIDB_PYTHON (default python3).
    tests = {@python_to_octave, @octave_to_python, @lineage_chain};
end

function run_python(action, path, script)
    if nargin < 3
        script = 'python_side.py';
    end
    python = getenv('SCIDB_PYTHON');
    if isempty(python)
        python = 'python3';
    end
    script = fullfile(fileparts(mfilename('fullpath')), 'cross', script);
    [status, output] = system(sprintf('"%s" "%s" %s "%s" 2>&1', python, script, action, path));
    if status ~= 0
        error('%s %s failed (%d):\n%s', script, action, status, output);
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

function lineage_chain()
    % Octave saves a value, a Python thunk processes it, an Octave Thunk
    % processes that: the upstream provenance names all three steps.
    path = temp_path();
    scidb.configure_database(path, {'subject', 'session'});
    raw_id = RawEMG().save([1; 4; 2], 'subject', 1, 'session', 'a');
    scidb.close_database();   % one process holds a DuckDB file at a time
    run_python('', path, 'python_chain.py');
    scidb.configure_database(path, {'subject', 'session'});
    scaled = Scaled().load('subject', 1, 'session', 'a');
    assert_same(scaled.data, [3; 12; 6], 'the Python step ran');
    max_fn = scidb.Thunk(@counted_max);
    MaxActivation().save(max_fn(scaled), 'subject', 1, 'session', 'a');
    steps = MaxActivation().upstream_provenance('subject', 1, 'session', 'a');
    assert_same(numel(steps), 2, 'two computed steps upstream');
    assert_same({steps{1}.function_name, steps{1}.language}, {'counted_max', 'matlab'}, 'Octave step');
    assert_same({steps{2}.function_name, steps{2}.language}, {'scale', 'python'}, 'Python step');
    assert_same(steps{1}.inputs(1).record_id, scaled.record_id, 'Octave step input');
    assert_same(steps{2}.inputs(1).variable, 'RawEMG', 'original variable');
    assert_same(steps{2}.inputs(1).record_id, raw_id, 'original record');
    assert_same(steps{2}.constants.factor, 3, 'Python constant');
end
